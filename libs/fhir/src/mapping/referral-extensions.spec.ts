import { referrals, toTimestamp } from '@trellis/contracts';

import {
  REFERRAL_ATTACHMENT_EXTENSION,
  REFERRAL_CONVERTED_TO_EXTENSION,
  REFERRAL_STATUS_REASON_EXTENSION,
  RTT_CLOCK_EXTENSION,
} from '../systems';
import { FhirError } from '../outcome';
import { validateFhirResource } from '../validator';
import { referralToFhir, sendReferralFromFhir } from './summaries';

const V = referrals.v1;
const at = (iso: string) => toTimestamp(new Date(iso));
const base = (over: Partial<referrals.v1.Referral>) =>
  V.Referral.fromPartial({
    id: '3f1c2b1e-1111-4222-8333-444455556666',
    nhsNumber: '9990000018',
    referrer: { odsCode: 'A81001', region: 'north-east', practitionerId: 'G8123456' },
    target: { odsCode: 'RR8', region: 'north-east', specialtyCode: 'cardiology' },
    priority: V.ReferralPriority.REFERRAL_PRIORITY_TWO_WEEK_WAIT,
    reason: { code: '29857009', display: 'Chest pain' },
    clinicalSummary: 'Exertional chest pain',
    status: V.ReferralStatus.REFERRAL_STATUS_SENT,
    sentAt: at('2028-02-20T10:00:00Z'),
    version: 1,
    idempotencyKey: 'req-0000001',
    ...over,
  });
const sub = (ext: { extension?: { url: string }[] } | undefined, url: string) =>
  ext?.extension?.find((e) => e.url === url);

describe('ServiceRequest extensions (RTT clock, status reason, conversion)', () => {
  it('carries the platform-computed RTT clock of a running two-week-wait pathway', () => {
    const s = referralToFhir(
      base({
        rtt: {
          startedAt: at('2028-02-20T10:00:00Z'),
          running: true,
          daysWaited: 16,
          weeksWaited: 2,
          breached18Weeks: false,
          breachedTwoWeekWait: true,
          breachDate: '2028-06-26',
          twoWeekWaitBreachDate: '2028-03-06',
          stopReason: 0,
          stoppedAt: undefined,
          firstAppointmentAt: undefined,
        },
      }),
    );
    const rtt = s.extension?.find((e) => e.url === RTT_CLOCK_EXTENSION);
    expect(rtt?.extension).toEqual([
      { url: 'start', valueDateTime: '2028-02-20T10:00:00.000Z' },
      { url: 'status', valueCode: 'running' },
      { url: 'daysWaited', valueInteger: 16 },
      { url: 'weeksWaited', valueInteger: 2 },
      { url: 'breachDate', valueDate: '2028-06-26' },
      { url: 'breached18Weeks', valueBoolean: false },
      { url: 'twoWeekWaitBreachDate', valueDate: '2028-03-06' },
      { url: 'breachedTwoWeekWait', valueBoolean: true },
    ]);
    expect(validateFhirResource(s, { resourceType: 'ServiceRequest', mode: 'update' }).valid).toBe(
      true,
    );
  });

  it('shows a stopped clock, the return reason and the returned status as revoked', () => {
    const s = referralToFhir(
      base({
        priority: V.ReferralPriority.REFERRAL_PRIORITY_ROUTINE,
        status: V.ReferralStatus.REFERRAL_STATUS_RETURNED,
        returnReason: 'manage in primary care',
        rtt: {
          startedAt: at('2028-02-20T10:00:00Z'),
          stoppedAt: at('2028-02-22T09:00:00Z'),
          stopReason: V.RttStopReason.RTT_STOP_REASON_REFERRAL_CLOSED,
          firstAppointmentAt: undefined,
          running: false,
          daysWaited: 2,
          weeksWaited: 0,
          breached18Weeks: false,
          breachedTwoWeekWait: false,
          breachDate: '2028-06-26',
          twoWeekWaitBreachDate: '',
        },
      }),
    );
    expect(s.status).toBe('revoked');
    expect(s.meta?.tag?.[0]?.code).toBe('returned');
    const rtt = s.extension?.find((e) => e.url === RTT_CLOCK_EXTENSION);
    expect(sub(rtt, 'status')).toEqual({ url: 'status', valueCode: 'stopped' });
    expect(sub(rtt, 'stopReason')).toEqual({ url: 'stopReason', valueCode: 'referral-closed' });
    expect(sub(rtt, 'twoWeekWaitBreachDate')).toBeUndefined();
    expect(s.extension?.find((e) => e.url === REFERRAL_STATUS_REASON_EXTENSION)).toEqual({
      url: REFERRAL_STATUS_REASON_EXTENSION,
      valueString: 'manage in primary care',
    });
  });

  it('links a converted advice request and the referral made from it both ways', () => {
    const original = referralToFhir(
      base({
        status: V.ReferralStatus.REFERRAL_STATUS_ADVICE_GIVEN,
        advice: 'start a statin',
        convertedToReferralId: 'new-1',
      }),
    );
    expect(original.status).toBe('on-hold');
    expect(original.extension).toContainEqual({
      url: REFERRAL_CONVERTED_TO_EXTENSION,
      valueReference: { reference: 'ServiceRequest/new-1' },
    });
    const made = referralToFhir(base({ id: 'new-1', basedOnReferralId: original.id! }));
    expect(made.basedOn).toEqual([{ reference: `ServiceRequest/${original.id!}` }]);
    expect(made.extension).toBeUndefined();
  });

  it('lists attachments as supportingInfo → Binary with content type, size and sha256; takes contained Binaries on create', () => {
    const s = referralToFhir(
      base({
        attachments: [
          { id: 'att-1', contentType: 'application/pdf', title: 'ECG', size: 5, sha256: 'ab12' },
        ],
      }),
    );
    expect(s.supportingInfo).toEqual([
      {
        extension: [
          {
            url: REFERRAL_ATTACHMENT_EXTENSION,
            extension: [
              { url: 'contentType', valueCode: 'application/pdf' },
              { url: 'size', valueInteger: 5 },
              { url: 'sha256', valueString: 'ab12' },
            ],
          },
        ],
        reference: 'Binary/att-1',
        type: 'Binary',
        display: 'ECG',
      },
    ]);
    expect(validateFhirResource(s, { resourceType: 'ServiceRequest', mode: 'update' }).valid).toBe(
      true,
    );

    const body = {
      ...s,
      contained: [
        {
          resourceType: 'Binary' as const,
          id: 'a1',
          contentType: 'text/plain',
          data: Buffer.from('hello').toString('base64'),
        },
      ],
      supportingInfo: [
        { reference: '#a1', display: 'Letter' },
        { reference: 'Binary/att-1' }, // already stored: not sent again
      ],
    };
    const send = sendReferralFromFhir(body);
    expect(send.attachments).toHaveLength(1);
    expect(send.attachments[0]).toMatchObject({ contentType: 'text/plain', title: 'Letter' });
    expect(Buffer.from(send.attachments[0]!.data).toString()).toBe('hello');

    const dangling = { ...body, supportingInfo: [{ reference: '#nope' }] };
    try {
      sendReferralFromFhir(dangling);
      throw new Error('expected refusal');
    } catch (e) {
      expect(e).toBeInstanceOf(FhirError);
      expect((e as FhirError).status).toBe(422);
    }
  });
});
