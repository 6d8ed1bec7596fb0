import { status } from '@grpc/grpc-js';
import { createHash, randomBytes, randomUUID } from 'node:crypto';

import { referrals } from '@trellis/contracts';

import { type SendReferralInput } from './support/grpc-client';
import { testNhsNumber } from './support/harness';
import { startService, type ServiceUnderTest } from './support/service-under-test';

const SCOPES = ['system/ServiceRequest.cruds'];
const SENT = 1;
const ADVICE_GIVEN = 4;
const RETURNED = 8;
const REFERRAL_CLOSED = 3;

type ReferralMsg = referrals.v1.Referral;

/** The UTC date `days` after a proto timestamp's date. */
const dateAfter = (t: { seconds: number | string }, days: number) => {
  const d = new Date(Number(t.seconds) * 1000);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + days))
    .toISOString()
    .slice(0, 10);
};

describe('referral completeness over gRPC: ReturnReferral, ConvertAdviceToReferral, the RTT clock, attachments', () => {
  let svc: ServiceUnderTest;
  let gp: string;
  let trust: string;
  let stranger: string;

  beforeAll(async () => {
    svc = await startService();
    const issue = (systemId: string, odsCode: string, region: string) =>
      svc.authority.issue({ scopes: SCOPES, systemId, odsCode, region });
    gp = await issue('gp-system', 'A81001', 'north-east');
    trust = await issue('trust-epr', 'RTH', 'south-east');
    stranger = await issue('other-epr', 'RJ1', 'london');
  });

  afterAll(async () => {
    await svc?.stop();
  });

  async function send(priority = 1, extra: SendReferralInput = {}): Promise<ReferralMsg> {
    const nhsNumber = testNhsNumber();
    svc.identity.add({ nhsNumber });
    const res = await svc.client.referrals.sendReferral(
      {
        idempotencyKey: `grpc-${randomUUID()}`,
        nhsNumber,
        practitionerId: 'G8123456',
        target: { odsCode: 'RTH', region: 'south-east', specialtyCode: 'cardiology' },
        priority,
        reason: { code: '29857009', display: 'Chest pain' },
        clinicalSummary: 'Exertional chest pain',
        ...extra,
      },
      svc.client.as(gp),
    );
    return res.referral!;
  }

  it('returns a referral to the referrer with a reason; only the target, only while sent or accepted', async () => {
    const r = await send();
    expect(r.rtt!).toMatchObject({ running: true, breachDate: dateAfter(r.sentAt!, 127) });
    expect(r.rtt!.twoWeekWaitBreachDate).toBe('');
    const hidden = await svc.client.fail(
      svc.client.referrals.returnReferral(
        { referralId: r.id, reason: 'x' },
        svc.client.as(stranger),
      ),
    );
    expect(hidden).toMatchObject({ code: status.NOT_FOUND, reason: 'REFERRAL_NOT_FOUND' });
    const referrer = await svc.client.fail(
      svc.client.referrals.returnReferral({ referralId: r.id, reason: 'x' }, svc.client.as(gp)),
    );
    expect(referrer).toMatchObject({
      code: status.PERMISSION_DENIED,
      reason: 'NOT_TARGET_ORGANISATION',
    });
    const noReason = await svc.client.fail(
      svc.client.referrals.returnReferral({ referralId: r.id }, svc.client.as(trust)),
    );
    expect(noReason.code).toBe(status.INVALID_ARGUMENT);

    const { referral } = await svc.client.referrals.returnReferral(
      { referralId: r.id, reason: 'manage in primary care' },
      svc.client.as(trust),
    );
    expect(referral).toMatchObject({
      status: RETURNED,
      returnReason: 'manage in primary care',
      version: r.version + 1,
    });
    expect(referral!.rtt).toMatchObject({ running: false, stopReason: REFERRAL_CLOSED });
    const seen = await svc.client.referrals.getReferral({ referralId: r.id }, svc.client.as(gp));
    expect(seen.referral).toMatchObject({
      status: RETURNED,
      returnReason: 'manage in primary care',
    });

    const again = await svc.client.fail(
      svc.client.referrals.returnReferral(
        { referralId: r.id, reason: 'again' },
        svc.client.as(trust),
      ),
    );
    expect(again).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'ILLEGAL_TRANSITION' });
    expect(again.message).toContain("is 'returned': cannot return");
  });

  it('converts an advice-and-guidance request into a new referral once, by the referrer only', async () => {
    const r = await send(3);
    expect(r.rtt!.twoWeekWaitBreachDate).toBe(dateAfter(r.sentAt!, 15));
    const early = await svc.client.fail(
      svc.client.referrals.convertAdviceToReferral({ referralId: r.id }, svc.client.as(gp)),
    );
    expect(early).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'ILLEGAL_TRANSITION' });
    expect(early.message).toContain("is 'sent'");
    await svc.client.referrals.giveAdvice(
      { referralId: r.id, advice: 'start a statin and review in 3 months' },
      svc.client.as(trust),
    );
    const byTarget = await svc.client.fail(
      svc.client.referrals.convertAdviceToReferral({ referralId: r.id }, svc.client.as(trust)),
    );
    expect(byTarget).toMatchObject({
      code: status.PERMISSION_DENIED,
      reason: 'NOT_REFERRING_ORGANISATION',
    });
    const { referral, original } = await svc.client.referrals.convertAdviceToReferral(
      { referralId: r.id, note: 'no better on a statin' },
      svc.client.as(gp),
    );
    expect(referral).toMatchObject({ status: SENT, basedOnReferralId: r.id });
    expect(referral!.clinicalSummary).toBe('Exertional chest pain\n\nno better on a statin');
    expect(referral!.rtt!.running).toBe(true);
    expect(original).toMatchObject({ status: ADVICE_GIVEN, convertedToReferralId: referral!.id });
    const twice = await svc.client.fail(
      svc.client.referrals.convertAdviceToReferral({ referralId: r.id }, svc.client.as(gp)),
    );
    expect(twice).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'ALREADY_CONVERTED' });
  });

  it('serves an attachment with its content, size and sha256 to whoever may read the referral', async () => {
    const data = randomBytes(300 * 1024);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const r = await send(1, {
      attachments: [{ contentType: 'application/pdf', title: 'ECG', data, sha256 }],
    });
    const meta = r.attachments;
    expect(meta).toHaveLength(1);
    expect(meta[0]).toMatchObject({ sha256, size: data.length });
    for (const token of [gp, trust]) {
      const got = await svc.client.referrals.getReferralAttachment(
        { attachmentId: meta[0]!.id },
        svc.client.as(token),
      );
      expect(got.attachment).toMatchObject({
        contentType: 'application/pdf',
        title: 'ECG',
        sha256,
      });
      expect(Buffer.from(got.data).equals(data)).toBe(true);
      expect(got.referralId).toBe(r.id);
    }
    const hidden = await svc.client.fail(
      svc.client.referrals.getReferralAttachment(
        { attachmentId: meta[0]!.id },
        svc.client.as(stranger),
      ),
    );
    expect(hidden).toMatchObject({ code: status.NOT_FOUND, reason: 'ATTACHMENT_NOT_FOUND' });
    const unknown = await svc.client.fail(
      svc.client.referrals.getReferralAttachment({ attachmentId: randomUUID() }, svc.client.as(gp)),
    );
    expect(unknown).toMatchObject({ code: status.NOT_FOUND, reason: 'ATTACHMENT_NOT_FOUND' });
    const bad = await svc.client.fail(
      svc.client.referrals.getReferralAttachment({ attachmentId: 'nope' }, svc.client.as(gp)),
    );
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
  });
});
