import { status } from '@grpc/grpc-js';
import { referrals } from '@trellis/contracts';
import { toCloudEventHeaders, type EventPublisher } from '@trellis/events';
import { pollUntil } from '@trellis/testing';
import { randomUUID } from 'node:crypto';

import {
  AppointmentBookedEvent,
  AppointmentCancelledEvent,
  PatientMergedEvent,
} from '../src/events/referral-event-types';
import { type SendReferralInput } from './support/grpc-client';
import { testNhsNumber } from './support/harness';
import { startService, type ServiceUnderTest } from './support/service-under-test';

const SCOPES = ['system/ServiceRequest.cruds'];
const SENT = 1;
const ACCEPTED = 2;
const REJECTED = 3;
const BOOKED = 5;

type ReferralMsg = referrals.v1.Referral;

describe('referrals service over gRPC, with Kafka (relay + inbox)', () => {
  let svc: ServiceUnderTest;
  let publisher: EventPublisher;
  let gp: string;
  let trust: string;
  let stranger: string;
  let readOnly: string;

  beforeAll(async () => {
    svc = await startService();
    publisher = svc.bus.publisher();
    await publisher.connect();
    gp = await svc.authority.issue({
      scopes: SCOPES,
      systemId: 'gp-system',
      odsCode: 'A81001',
      region: 'north-east',
    });
    trust = await svc.authority.issue({
      scopes: SCOPES,
      systemId: 'trust-epr',
      odsCode: 'RTH',
      region: 'south-east',
    });
    stranger = await svc.authority.issue({
      scopes: SCOPES,
      systemId: 'other-epr',
      odsCode: 'RJ1',
      region: 'london',
    });
    readOnly = await svc.authority.issue({
      scopes: ['system/ServiceRequest.rs'],
      systemId: 'viewer',
      odsCode: 'A81001',
      region: 'north-east',
    });
  });

  afterAll(async () => {
    await publisher?.disconnect();
    await svc?.stop();
  });

  async function sendReferral(extra: SendReferralInput = {}): Promise<ReferralMsg> {
    const nhsNumber = testNhsNumber();
    svc.identity.add({ nhsNumber });
    const res = await svc.client.referrals.sendReferral(
      {
        idempotencyKey: `grpc-${randomUUID()}`,
        nhsNumber,
        practitionerId: 'G8123456',
        target: { odsCode: 'RTH', region: 'south-east', specialtyCode: 'cardiology' },
        priority: 2,
        reason: { code: '29857009', display: 'Chest pain' },
        clinicalSummary: 'Exertional chest pain',
        ...extra,
      },
      svc.client.as(gp),
    );
    return res.referral!;
  }

  function publishBooked(
    referral: ReferralMsg,
    appointmentId: string,
    eventId: string,
    odsCode = 'RTH',
    cancelled = false,
  ) {
    const message = {
      ...(cancelled ? { reason: 'clinic cancelled', cancelledBy: 'caller' } : {}),
      context: {
        organisations: [],
        regions: ['south-east'],
        actor: { systemId: 'gp-system', organisation: { odsCode: 'A81001', region: 'north-east' } },
        correlationId: '',
      },
      appointment: {
        appointmentId,
        nhsNumber: referral.nhsNumber,
        slotId: randomUUID(),
        scheduleId: randomUUID(),
        odsCode,
        region: 'south-east',
        serviceType: 'cardiology-opd',
        bookingOdsCode: 'A81001',
        start: { seconds: Math.floor(svc.clock.now().getTime() / 1000) + 7 * 86400, nanos: 0 },
        end: { seconds: Math.floor(svc.clock.now().getTime() / 1000) + 7 * 86400 + 1200, nanos: 0 },
        referralId: referral.id,
        status: cancelled ? 'cancelled' : 'booked',
        version: cancelled ? 2 : 1,
        practitionerId: '',
      },
    };
    const type = cancelled ? AppointmentCancelledEvent : AppointmentBookedEvent;
    const headers = toCloudEventHeaders({
      id: eventId,
      source: '/trellis/appointments',
      type: type.type,
      time: new Date().toISOString(),
      subject: appointmentId,
      odscode: odsCode,
      region: 'south-east',
    });
    return publisher.publish([
      {
        topic: svc.appointmentsTopic,
        key: referral.nhsNumber,
        value: type.encode(message as never),
        headers,
      },
    ]);
  }

  it('sends over gRPC with the caller as referrer, audits the patient access and publishes ReferralSent through the relay', async () => {
    const data = Buffer.from('%PDF-1.4 synthetic letter');
    const r = await sendReferral({
      attachments: [{ contentType: 'application/pdf', title: 'letter', data }],
    });
    expect(r.status).toBe(SENT);
    expect(r.attachments[0]).toMatchObject({ size: data.length });
    expect(r.rtt).toMatchObject({ daysWaited: 0, running: true });
    const published = await pollUntil('the relay to publish ReferralSent', async () => {
      const rows = await svc.db.sql.query(
        "SELECT sent_at, regions FROM outbox_events WHERE ce_subject = $1 AND ce_type = 'uk.nhs.trellis.referrals.ReferralSent.v1'",
        [r.id],
      );
      return rows.rows[0]?.sent_at ? rows.rows[0] : undefined;
    });
    expect(published.regions).toEqual(['south-east', 'north-east']);
    const audit = await svc.db.sql.query(
      "SELECT count(*)::int AS n FROM outbox_events WHERE topic = 'trellis.audit.access.v1' AND key = $1",
      [r.nhsNumber],
    );
    expect(audit.rows[0].n).toBeGreaterThanOrEqual(1);
  });

  it('refuses without the scope, hides referrals from other organisations, and names the current state of an illegal transition', async () => {
    const r = await sendReferral();
    const denied = await svc.client.fail(
      svc.client.referrals.acceptReferral({ referralId: r.id }, svc.client.as(readOnly)),
    );
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    const unauth = await svc.client.fail(svc.client.referrals.getReferral({ referralId: r.id }));
    expect(unauth.code).toBe(status.UNAUTHENTICATED);
    const hidden = await svc.client.fail(
      svc.client.referrals.getReferral({ referralId: r.id }, svc.client.as(stranger)),
    );
    expect(hidden).toMatchObject({ code: status.NOT_FOUND, reason: 'REFERRAL_NOT_FOUND' });
    await svc.client.referrals.rejectReferral(
      { referralId: r.id, reason: 'refer to community service' },
      svc.client.as(trust),
    );
    const illegal = await svc.client.fail(
      svc.client.referrals.acceptReferral({ referralId: r.id }, svc.client.as(trust)),
    );
    expect(illegal).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: 'ILLEGAL_TRANSITION',
    });
    expect(illegal.message).toContain("is 'rejected'");
    const big = await svc.client.fail(
      svc.client.referrals.sendReferral(
        {
          idempotencyKey: `big-${randomUUID()}`,
          nhsNumber: r.nhsNumber,
          practitionerId: 'G1',
          target: { odsCode: 'RTH', region: 'south-east', specialtyCode: 'x' },
          priority: 1,
          reason: { code: '29857009', display: 'Chest pain' },
          clinicalSummary: 's',
          attachments: [{ contentType: 'image/png', data: Buffer.alloc(1024 * 1024 + 10) }],
        },
        svc.client.as(gp),
      ),
    );
    expect(big).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'ATTACHMENT_TOO_LARGE' });
    expect(big.message).toContain('the limit is 1048576 bytes');
    const timeline = await svc.client.referrals.getReferralTimeline(
      { referralId: r.id },
      svc.client.as(gp),
    );
    expect(timeline.entries.map((e) => [e.toStatus, e.actorSystemId])).toEqual([
      ['sent', 'gp-system'],
      ['rejected', 'trust-epr'],
    ]);
    const waiting = await svc.client.referrals.getProviderWaitingList({}, svc.client.as(trust));
    expect(waiting.waitingList!.bands).toHaveLength(6);
    // waiting lists are the caller's own organisation's and region's, whichever door
    const theirs = await svc.client.fail(
      svc.client.referrals.getProviderWaitingList({ odsCode: 'RTH' }, svc.client.as(gp)),
    );
    expect(theirs).toMatchObject({
      code: status.PERMISSION_DENIED,
      reason: 'NOT_OWN_WAITING_LIST',
      fieldViolations: [expect.objectContaining({ field: 'ods_code', rule: 'waiting-list.own' })],
    });
    const region = await svc.client.fail(
      svc.client.referrals.getRegionWaitingList({ region: 'london' }, svc.client.as(trust)),
    );
    expect(region).toMatchObject({
      code: status.PERMISSION_DENIED,
      fieldViolations: [expect.objectContaining({ field: 'region', rule: 'waiting-list.own' })],
    });
    const own = await svc.client.referrals.getRegionWaitingList(
      { region: 'south-east' },
      svc.client.as(trust),
    );
    expect(own.total!.region).toBe('south-east');
  });

  it("a citizen's patient token reads and lists its own referrals only; an organisation lists a patient's referrals it is party to", async () => {
    const mine = await sendReferral();
    const other = await sendReferral();
    // a second referral of the same patient, sent by the trust to the GP's organisation
    const back = await svc.client.referrals.sendReferral(
      {
        idempotencyKey: `back-${randomUUID()}`,
        nhsNumber: mine.nhsNumber,
        practitionerId: 'C1234567',
        target: { odsCode: 'A81001', region: 'north-east', specialtyCode: 'general-practice' },
        priority: 1,
        reason: { code: '29857009', display: 'Chest pain' },
        clinicalSummary: 'Back to the practice',
      },
      svc.client.as(trust),
    );
    const citizen = await svc.authority.issue({
      systemId: 'citizen:demo-1',
      scopes: ['patient/*.rs'],
      claims: { patient: mine.nhsNumber, ods_code: undefined, region: undefined },
    });
    const list = (token: string, nhsNumber: string) =>
      svc.client.referrals.listPatientReferrals(
        { nhsNumber, statuses: [], page: { pageSize: 10, pageToken: '' } },
        svc.client.as(token),
      );
    const own = await list(citizen, mine.nhsNumber);
    expect(own.referrals.map((r) => r.id).sort()).toEqual([mine.id, back.referral!.id].sort());
    expect(own.page!.total).toBe(2);
    const read = await svc.client.referrals.getReferral(
      { referralId: mine.id },
      svc.client.as(citizen),
    );
    expect(read.referral!.nhsNumber).toBe(mine.nhsNumber);
    // another patient's referral: not found by id, refused by number, no worklist at all
    expect(
      await svc.client.fail(
        svc.client.referrals.getReferral({ referralId: other.id }, svc.client.as(citizen)),
      ),
    ).toMatchObject({
      code: status.NOT_FOUND,
      reason: 'REFERRAL_NOT_FOUND',
    });
    expect(
      (
        await svc.client.fail(
          svc.client.referrals.listPatientReferrals(
            { nhsNumber: other.nhsNumber },
            svc.client.as(citizen),
          ),
        )
      ).code,
    ).toBe(status.PERMISSION_DENIED);
    expect(
      (
        await svc.client.fail(
          svc.client.referrals.listPatientReferrals({ nhsNumber: '' }, svc.client.as(citizen)),
        )
      ).code,
    ).toBe(status.INVALID_ARGUMENT);
    const asCitizen = svc.client.as(citizen);
    for (const call of [
      () => svc.client.referrals.listSentReferrals({ nhsNumber: mine.nhsNumber }, asCitizen),
      () => svc.client.referrals.listIncomingReferrals({ nhsNumber: mine.nhsNumber }, asCitizen),
      () => svc.client.referrals.getReferralTimeline({ referralId: mine.id }, asCitizen),
    ])
      expect((await svc.client.fail(call())).code).toBe(status.PERMISSION_DENIED);
    expect(
      (
        await svc.client.fail(
          svc.client.referrals.acceptReferral({ referralId: mine.id }, svc.client.as(citizen)),
        )
      ).code,
    ).toBe(status.PERMISSION_DENIED);
    // organisations: the patient's referrals they sent or receive, on either side
    const gpView = await list(gp, mine.nhsNumber);
    expect(gpView.referrals.map((r) => r.id).sort()).toEqual([mine.id, back.referral!.id].sort());
    expect((await list(stranger, mine.nhsNumber)).referrals).toEqual([]);
    // the citizen's list is audited under their own number
    const audit = await svc.db.sql.query(
      "SELECT count(*)::int AS n FROM outbox_events WHERE topic = 'trellis.audit.access.v1' AND key = $1",
      [mine.nhsNumber],
    );
    expect(audit.rows[0].n).toBeGreaterThanOrEqual(4);
  });

  it('AppointmentBooked with the referral id books it once, even delivered twice; a booking for a rejected referral is flagged', async () => {
    const r = await sendReferral();
    await svc.client.referrals.acceptReferral({ referralId: r.id }, svc.client.as(trust));
    const eventId = randomUUID();
    const before = svc.messaging.consumer!.stats.duplicates;
    await publishBooked(r, 'appt-1', eventId);
    await publishBooked(r, 'appt-1', eventId); // redelivery: same CloudEvents id
    await pollUntil('the duplicate to be skipped', async () =>
      svc.messaging.consumer!.stats.duplicates > before ? true : undefined,
    );
    const booked = await pollUntil('booked', async () => {
      const res = await svc.client.referrals.getReferral(
        { referralId: r.id },
        svc.client.as(trust),
      );
      return res.referral!.status === BOOKED ? res.referral : undefined;
    });
    expect(booked.appointmentId).toBe('appt-1');
    // the same booking again under a new event id changes nothing either
    const handled = svc.messaging.consumer!.stats.handled;
    await publishBooked(r, 'appt-1', randomUUID());
    await pollUntil('the repeat', async () =>
      svc.messaging.consumer!.stats.handled > handled ? true : undefined,
    );
    const events = await svc.db.sql.query(
      "SELECT count(*)::int AS n FROM outbox_events WHERE ce_subject = $1 AND ce_type LIKE '%ReferralBooked%'",
      [r.id],
    );
    expect(events.rows[0].n).toBe(1);

    const rejected = await sendReferral();
    await svc.client.referrals.rejectReferral(
      { referralId: rejected.id, reason: 'duplicate referral' },
      svc.client.as(trust),
    );
    await publishBooked(rejected, 'appt-2', randomUUID());
    const flagged = await pollUntil('flagged', async () => {
      const res = await svc.client.referrals.getReferral(
        { referralId: rejected.id },
        svc.client.as(gp),
      );
      return res.referral!.bookingFlagged ? res.referral : undefined;
    });
    expect(flagged).toMatchObject({ status: REJECTED, appointmentId: '' });
  });

  it('AppointmentCancelled for the booked appointment moves the referral back to accepted once, even delivered twice; then it can be booked again', async () => {
    const r = await sendReferral();
    await svc.client.referrals.acceptReferral({ referralId: r.id }, svc.client.as(trust));
    await publishBooked(r, 'appt-c1', randomUUID());
    await pollUntil('booked', async () => {
      const res = await svc.client.referrals.getReferral(
        { referralId: r.id },
        svc.client.as(trust),
      );
      return res.referral!.status === BOOKED ? true : undefined;
    });
    // a cancellation of some other appointment does nothing
    const handled = svc.messaging.consumer!.stats.handled;
    await publishBooked(r, 'appt-other', randomUUID(), 'RTH', true);
    await pollUntil('the unrelated cancellation', async () =>
      svc.messaging.consumer!.stats.handled > handled ? true : undefined,
    );
    const eventId = randomUUID();
    const dupes = svc.messaging.consumer!.stats.duplicates;
    await publishBooked(r, 'appt-c1', eventId, 'RTH', true);
    await publishBooked(r, 'appt-c1', eventId, 'RTH', true); // redelivery: same CloudEvents id
    await publishBooked(r, 'appt-c1', randomUUID(), 'RTH', true); // repeat under a new id
    await pollUntil('the duplicate to be skipped', async () =>
      svc.messaging.consumer!.stats.duplicates > dupes ? true : undefined,
    );
    const unbooked = await pollUntil('accepted again', async () => {
      const res = await svc.client.referrals.getReferral({ referralId: r.id }, svc.client.as(gp));
      return res.referral!.status === ACCEPTED ? res.referral : undefined;
    });
    expect(unbooked.appointmentId).toBe('');
    const published = await pollUntil('ReferralBookingCancelled on Kafka (relay)', async () => {
      const rows = await svc.db.sql.query(
        "SELECT sent_at FROM outbox_events WHERE ce_subject = $1 AND ce_type = 'uk.nhs.trellis.referrals.ReferralBookingCancelled.v1'",
        [r.id],
      );
      return rows.rows.length > 0 && rows.rows.every((x) => x.sent_at) ? rows.rows : undefined;
    });
    // wait for the repeat to be handled too, then there is still exactly one
    await pollUntil('all cancellations handled', async () =>
      svc.messaging.consumer!.stats.handled >= handled + 3 ? true : undefined,
    );
    const count = await svc.db.sql.query(
      "SELECT count(*)::int AS n FROM outbox_events WHERE ce_subject = $1 AND ce_type LIKE '%ReferralBookingCancelled%'",
      [r.id],
    );
    expect({ published: published.length, total: count.rows[0].n }).toEqual({
      published: 1,
      total: 1,
    });
    const timeline = await svc.client.referrals.getReferralTimeline(
      { referralId: r.id },
      svc.client.as(gp),
    );
    expect(timeline.entries.map((e) => `${e.fromStatus}>${e.toStatus}`)).toEqual([
      '>sent',
      'sent>accepted',
      'accepted>booked',
      'booked>accepted',
    ]);
    await publishBooked(r, 'appt-c2', randomUUID());
    const rebooked = await pollUntil('booked again', async () => {
      const res = await svc.client.referrals.getReferral(
        { referralId: r.id },
        svc.client.as(trust),
      );
      return res.referral!.status === BOOKED ? res.referral : undefined;
    });
    expect(rebooked.appointmentId).toBe('appt-c2');
  });

  it('UpdateReferral (referrer, expected_version) and GetReferralVersion / ListReferralVersions over gRPC with the same visibility as GetReferral', async () => {
    const r = await sendReferral();
    const update = (version: number, token: string) =>
      svc.client.referrals.updateReferral(
        {
          referralId: r.id,
          expectedVersion: version,
          priority: 3,
          reason: { code: '29857009', display: 'Chest pain' },
          clinicalSummary: 'Exertional chest pain; now at rest too',
        },
        svc.client.as(token),
      );
    const res = await update(r.version, gp);
    expect(res.changedFields).toEqual(['priority', 'clinical_summary']);
    expect(res.referral).toMatchObject({ version: r.version + 1, priority: 3 });
    expect(
      await svc.client.fail(
        svc.client.referrals.updateReferral({ referralId: r.id }, svc.client.as(readOnly)),
      ),
    ).toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    await expect(update(r.version, gp)).rejects.toMatchObject({ code: status.ABORTED });
    expect(
      await svc.client.fail(
        svc.client.referrals.updateReferral(
          {
            referralId: r.id,
            expectedVersion: r.version + 1,
            priority: 1,
            reason: { code: '29857009', display: 'Chest pain' },
            clinicalSummary: 'x',
          },
          svc.client.as(trust),
        ),
      ),
    ).toMatchObject({ code: status.PERMISSION_DENIED, reason: 'NOT_REFERRING_ORGANISATION' });
    const v1 = await svc.client.referrals.getReferralVersion(
      { referralId: r.id, version: 1 },
      svc.client.as(trust),
    );
    expect(v1.version).toMatchObject({ version: 1, change: 'created', referral: { priority: 2 } });
    const list = await svc.client.referrals.listReferralVersions(
      { referralId: r.id, page: { pageSize: 1 } },
      svc.client.as(gp),
    );
    expect(list.versions.map((v) => v.version)).toEqual([2]);
    expect(list.page!.total).toBe(2);
    const more = await svc.client.referrals.listReferralVersions(
      { referralId: r.id, page: { pageSize: 1, pageToken: list.page!.nextPageToken } },
      svc.client.as(gp),
    );
    expect(more.versions.map((v) => v.version)).toEqual([1]);
    expect(
      await svc.client.fail(
        svc.client.referrals.getReferralVersion(
          { referralId: r.id, version: 1 },
          svc.client.as(stranger),
        ),
      ),
    ).toMatchObject({ code: status.NOT_FOUND, reason: 'REFERRAL_NOT_FOUND' });
    expect(
      await svc.client.fail(
        svc.client.referrals.listReferralVersions({ referralId: r.id }, svc.client.as(stranger)),
      ),
    ).toMatchObject({ code: status.NOT_FOUND });
    expect(
      await svc.client.fail(
        svc.client.referrals.getReferralVersion(
          { referralId: r.id, version: 7 },
          svc.client.as(gp),
        ),
      ),
    ).toMatchObject({ code: status.NOT_FOUND, reason: 'VERSION_NOT_FOUND' });
  });

  it("PatientMerged moves the superseded number's referrals to the survivor", async () => {
    const r = await sendReferral();
    const survivor = testNhsNumber();
    const headers = toCloudEventHeaders({
      id: randomUUID(),
      source: '/trellis/identity',
      type: PatientMergedEvent.type,
      time: new Date().toISOString(),
      subject: survivor,
      odscode: 'A81001',
      region: 'north-east',
    });
    await publisher.publish([
      {
        topic: svc.identityTopic,
        key: survivor,
        value: PatientMergedEvent.encode({
          patient: { nhsNumber: survivor, version: 2 },
          supersededNhsNumber: r.nhsNumber,
          supersededVersion: 1,
        } as never),
        headers,
      },
    ]);
    await pollUntil('the merge', async () => {
      const res = await svc.client.referrals.getReferral({ referralId: r.id }, svc.client.as(gp));
      return res.referral!.nhsNumber === survivor ? true : undefined;
    });
    const sent = await svc.client.referrals.listSentReferrals(
      { statuses: [SENT] },
      svc.client.as(gp),
    );
    expect(sent.referrals.find((x) => x.id === r.id)?.nhsNumber).toBe(survivor);
  });
  it('reports real 18-week breaches on the gRPC waiting lists (breached_18_weeks reaches the wire)', async () => {
    await sendReferral();
    const now = svc.clock.now();
    svc.clock.set(new Date(now.getTime() + 200 * 86_400_000)); // every open pathway is past 18 weeks
    try {
      const provider = await svc.client.referrals.getProviderWaitingList({}, svc.client.as(trust));
      expect(provider.waitingList!.total).toBeGreaterThan(0);
      expect(provider.waitingList!.breached18Weeks).toBe(provider.waitingList!.total);
      const region = await svc.client.referrals.getRegionWaitingList(
        { region: 'south-east' },
        svc.client.as(trust),
      );
      expect(region.total!.breached18Weeks).toBe(region.total!.total);
    } finally {
      svc.clock.set(now);
    }
  });
});
