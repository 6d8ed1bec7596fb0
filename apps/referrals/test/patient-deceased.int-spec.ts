import { events, referrals } from '@trellis/contracts';
import { toCloudEventHeaders, type EventPublisher } from '@trellis/events';
import { pollUntil } from '@trellis/testing';
import { randomUUID } from 'node:crypto';

import {
  AppointmentBookedEvent,
  AppointmentCancelledEvent,
  PatientDeceasedEvent,
} from '../src/events/referral-event-types';
import { DAY, testNhsNumber } from './support/harness';
import { startService, type ServiceUnderTest } from './support/service-under-test';

const SCOPES = ['system/ServiceRequest.cruds'];
const STATUS = {
  sent: 1,
  accepted: 2,
  rejected: 3,
  'advice-given': 4,
  booked: 5,
  completed: 6,
  cancelled: 7,
} as const;
const RTT_REFERRAL_CLOSED = 3;

type ReferralMsg = referrals.v1.Referral;

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/**
 * identity's PatientDeceased through the real inbox consumer (Kafka) and the real service (gRPC,
 * PostgreSQL, outbox relay): the platform cancels the patient's open referrals, once, whatever the
 * order with appointments' AppointmentCancelled for the same death.
 */
describe('PatientDeceased reaction (real PostgreSQL + Kafka)', () => {
  let svc: ServiceUnderTest;
  let publisher: EventPublisher;
  let gp: string;
  let trust: string;

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
  });

  afterAll(async () => {
    await publisher?.disconnect();
    await svc?.stop();
  });

  function patient(): string {
    const nhsNumber = testNhsNumber();
    svc.identity.add({ nhsNumber });
    return nhsNumber;
  }

  async function send(nhsNumber: string): Promise<ReferralMsg> {
    const res = await svc.client.referrals.sendReferral(
      {
        idempotencyKey: `death-${randomUUID()}`,
        nhsNumber,
        practitionerId: 'G8123456',
        target: { odsCode: 'RTH', region: 'south-east', specialtyCode: 'cardiology' },
        priority: 2,
        reason: { code: '29857009', display: 'Chest pain' },
        clinicalSummary: 'Exertional chest pain',
      },
      svc.client.as(gp),
    );
    return res.referral!;
  }

  const get = async (id: string) =>
    (await svc.client.referrals.getReferral({ referralId: id }, svc.client.as(gp))).referral!;
  const timeline = async (id: string) =>
    (await svc.client.referrals.getReferralTimeline({ referralId: id }, svc.client.as(gp))).entries;
  const steps = async (id: string) =>
    (await timeline(id)).map((e) => `${e.fromStatus}>${e.toStatus}`);

  async function waitStatus(id: string, status: keyof typeof STATUS): Promise<ReferralMsg> {
    return pollUntil(`referral ${id} ${status}`, async () => {
      const r = await get(id);
      return r.status === STATUS[status] ? r : undefined;
    });
  }

  async function handled(n: number, before: number): Promise<void> {
    await pollUntil(`${n} event(s) handled`, async () =>
      svc.messaging.consumer!.stats.handled >= before + n ? true : undefined,
    );
  }

  function publishDeath(nhsNumber: string, deceasedAt: Date, eventId = randomUUID()) {
    return publisher.publish([
      {
        topic: svc.identityTopic,
        key: nhsNumber,
        value: PatientDeceasedEvent.encode({
          context: {
            organisations: [{ odsCode: 'A81001', region: 'north-east' }],
            regions: ['north-east'],
            actor: { systemId: 'registry', organisation: { odsCode: 'A81001', region: '' } },
            correlationId: `death-${nhsNumber}`,
          },
          patient: {
            nhsNumber,
            version: 3,
            gpOdsCode: 'A81001',
            region: 'north-east',
            confidentiality: 'normal',
            occurredAt: { seconds: seconds(svc.clock.now()), nanos: 0 },
          },
          deceasedAt: { seconds: seconds(deceasedAt), nanos: 0 },
        } as never),
        headers: toCloudEventHeaders({
          id: eventId,
          source: '/trellis/identity',
          type: PatientDeceasedEvent.type,
          time: new Date().toISOString(),
          subject: nhsNumber,
          odscode: 'A81001',
          region: 'north-east',
          correlationid: `death-${nhsNumber}`,
        }),
      },
    ]);
  }

  function publishAppointment(
    r: ReferralMsg,
    appointmentId: string,
    kind: 'booked' | 'cancelled',
    eventId = randomUUID(),
  ) {
    const type = kind === 'cancelled' ? AppointmentCancelledEvent : AppointmentBookedEvent;
    const start = seconds(svc.clock.now()) + 7 * 86400;
    return publisher.publish([
      {
        topic: svc.appointmentsTopic,
        key: r.nhsNumber,
        value: type.encode({
          ...(kind === 'cancelled'
            ? { reason: 'patient died', cancelledBy: 'patient-deceased' }
            : {}),
          context: {
            organisations: [],
            regions: ['south-east'],
            actor: {
              systemId: kind === 'cancelled' ? 'trellis-appointments' : 'gp-system',
              organisation: { odsCode: 'A81001', region: 'north-east' },
            },
            correlationId: '',
          },
          appointment: {
            appointmentId,
            nhsNumber: r.nhsNumber,
            slotId: randomUUID(),
            scheduleId: randomUUID(),
            odsCode: 'RTH',
            region: 'south-east',
            serviceType: 'cardiology-opd',
            bookingOdsCode: 'A81001',
            start: { seconds: start, nanos: 0 },
            end: { seconds: start + 1200, nanos: 0 },
            referralId: r.id,
            status: kind,
            version: kind === 'cancelled' ? 2 : 1,
            practitionerId: '',
          },
        } as never),
        headers: toCloudEventHeaders({
          id: eventId,
          source: '/trellis/appointments',
          type: type.type,
          time: new Date().toISOString(),
          subject: appointmentId,
          odscode: 'RTH',
          region: 'south-east',
        }),
      },
    ]);
  }

  async function booked(nhsNumber: string, appointmentId: string): Promise<ReferralMsg> {
    const r = await send(nhsNumber);
    await svc.client.referrals.acceptReferral({ referralId: r.id }, svc.client.as(trust));
    await publishAppointment(r, appointmentId, 'booked');
    return waitStatus(r.id, 'booked');
  }

  async function outboxOf(
    id: string,
  ): Promise<{ ce_type: string; sent: boolean; payload: Buffer }[]> {
    const rows = await svc.db.sql.query(
      'SELECT ce_type, sent_at IS NOT NULL AS sent, payload FROM outbox_events WHERE ce_subject = $1 ORDER BY seq',
      [id],
    );
    return rows.rows.map((x: { ce_type: string; sent: boolean; payload: Buffer }) => ({
      ...x,
      ce_type: x.ce_type.split('.')[4]!,
    }));
  }

  it('cancels every open referral (sent, accepted, advice-given, booked) once, even delivered twice and repeated; closed referrals and other patients are untouched', async () => {
    const nhs = patient();
    const sentR = await send(nhs);
    const acceptedR = await send(nhs);
    await svc.client.referrals.acceptReferral({ referralId: acceptedR.id }, svc.client.as(trust));
    const adviceR = await send(nhs);
    await svc.client.referrals.giveAdvice(
      { referralId: adviceR.id, advice: 'statin' },
      svc.client.as(trust),
    );
    const bookedR = await booked(nhs, `appt-${randomUUID()}`);
    const rejectedR = await send(nhs);
    await svc.client.referrals.rejectReferral(
      { referralId: rejectedR.id, reason: 'dup' },
      svc.client.as(trust),
    );
    const cancelledR = await send(nhs);
    await svc.client.referrals.cancelReferral(
      { referralId: cancelledR.id, reason: 'patient declined' },
      svc.client.as(gp),
    );
    const completedR = await booked(nhs, `appt-${randomUUID()}`);
    await svc.client.referrals.completeReferral(
      { referralId: completedR.id },
      svc.client.as(trust),
    );
    const convertedR = await send(nhs);
    await svc.client.referrals.giveAdvice(
      { referralId: convertedR.id, advice: 'refer' },
      svc.client.as(trust),
    );
    const conversion = await svc.client.referrals.convertAdviceToReferral(
      { referralId: convertedR.id },
      svc.client.as(gp),
    );
    const otherPatient = await send(patient());

    const open = [sentR, acceptedR, adviceR, bookedR, conversion.referral!];
    const untouched = [rejectedR, cancelledR, completedR, convertedR, otherPatient];
    const before = new Map<string, ReferralMsg>();
    for (const r of untouched) before.set(r.id, await get(r.id));
    const outboxBefore = new Map<string, number>();
    for (const r of untouched) outboxBefore.set(r.id, (await outboxOf(r.id)).length);

    // the death was registered two days before identity told us
    const died = new Date(svc.clock.now().getTime() + 3 * DAY);
    svc.clock.advance(5 * DAY);
    const eventId = randomUUID();
    const h = svc.messaging.consumer!.stats.handled;
    const dupes = svc.messaging.consumer!.stats.duplicates;
    await publishDeath(nhs, died, eventId);
    await publishDeath(nhs, died, eventId); // redelivery: same CloudEvents id
    await publishDeath(nhs, died); // the same death again under a new id
    await pollUntil('the redelivery to be skipped', async () =>
      svc.messaging.consumer!.stats.duplicates > dupes ? true : undefined,
    );
    await handled(2, h);

    for (const r of open) {
      const after = await waitStatus(r.id, 'cancelled');
      expect(after.cancellationReason).toBe('patient deceased');
      expect(after.rtt!.running).toBe(false);
      expect(after.rtt!.stopReason).toBe(RTT_REFERRAL_CLOSED);
      const last = (await timeline(r.id)).at(-1)!;
      expect(last).toMatchObject({
        toStatus: 'cancelled',
        actorSystemId: 'trellis-referrals',
        actorOdsCode: '',
        source: 'event',
      });
      expect(last.note).toMatch(/^patient deceased \(identity PatientDeceased, died /);
      // one version written by the trigger for the cancellation
      const versions = await svc.db.sql.query(
        'SELECT change FROM referral_versions WHERE referral_id = $1 AND version = $2',
        [r.id, after.version],
      );
      expect(versions.rows).toEqual([{ change: 'cancelled' }]);
    }
    // the clock stopped at the date of death for those whose clock was running
    for (const r of [sentR, acceptedR, bookedR, conversion.referral!])
      expect(Number((await get(r.id)).rtt!.stoppedAt!.seconds)).toBe(seconds(died));
    // booked: the appointment id is kept (appointments cancels the appointment itself)
    expect((await get(bookedR.id)).appointmentId).toBe(bookedR.appointmentId);

    for (const r of untouched) {
      const b = before.get(r.id)!;
      expect(await get(r.id)).toMatchObject({ status: b.status, version: b.version });
      expect((await outboxOf(r.id)).length).toBe(outboxBefore.get(r.id));
    }

    // exactly one ReferralCancelled each, published through the relay, naming the platform
    for (const r of open) {
      const rows = await pollUntil(`ReferralCancelled of ${r.id} on Kafka`, async () => {
        const o = (await outboxOf(r.id)).filter((e) => e.ce_type === 'ReferralCancelled');
        return o.length > 0 && o.every((e) => e.sent) ? o : undefined;
      });
      expect(rows).toHaveLength(1);
      const msg = events.v1.ReferralCancelled.decode(rows[0]!.payload);
      expect(msg.reason).toBe('patient deceased');
      expect(msg.context?.actor?.systemId).toBe('trellis-referrals');
      expect(msg.context?.correlationId).toBe(`death-${nhs}`);
      // one clock stop each: at the death, or (advice-given) already when the advice was given
      const stops = (await outboxOf(r.id)).filter((e) => e.ce_type === 'RttClockStopped');
      expect(stops).toHaveLength(1);
    }
    expect(
      (await outboxOf(adviceR.id)).map((e) => e.ce_type).filter((t) => t !== 'ReferralSent'),
    ).toEqual(['ReferralAdviceGiven', 'RttClockStopped', 'ReferralCancelled']);
    expect((await outboxOf(acceptedR.id)).map((e) => e.ce_type)).toEqual([
      'ReferralSent',
      'ReferralAccepted',
      'ReferralCancelled',
      'RttClockStopped',
    ]);
  });

  it('AppointmentCancelled arriving after the death cancellation leaves the referral cancelled', async () => {
    const nhs = patient();
    const appointmentId = `appt-${randomUUID()}`;
    const r = await booked(nhs, appointmentId);
    await publishDeath(nhs, svc.clock.now());
    const cancelled = await waitStatus(r.id, 'cancelled');
    const h = svc.messaging.consumer!.stats.handled;
    await publishAppointment(r, appointmentId, 'cancelled');
    await handled(1, h);
    expect(await get(r.id)).toMatchObject({
      status: STATUS.cancelled,
      version: cancelled.version,
      cancellationReason: 'patient deceased',
    });
    expect(await steps(r.id)).toEqual([
      '>sent',
      'sent>accepted',
      'accepted>booked',
      'booked>cancelled',
    ]);
    expect((await outboxOf(r.id)).some((e) => e.ce_type === 'ReferralBookingCancelled')).toBe(
      false,
    );
  });

  it('AppointmentCancelled arriving before: booked -> accepted, then the death still cancels it', async () => {
    const nhs = patient();
    const appointmentId = `appt-${randomUUID()}`;
    const r = await booked(nhs, appointmentId);
    await publishAppointment(r, appointmentId, 'cancelled');
    await waitStatus(r.id, 'accepted');
    await publishDeath(nhs, svc.clock.now());
    const after = await waitStatus(r.id, 'cancelled');
    expect(after).toMatchObject({ cancellationReason: 'patient deceased', appointmentId: '' });
    expect(after.rtt!.running).toBe(false);
    expect(await steps(r.id)).toEqual([
      '>sent',
      'sent>accepted',
      'accepted>booked',
      'booked>accepted',
      'accepted>cancelled',
    ]);
    expect((await outboxOf(r.id)).map((e) => e.ce_type)).toEqual([
      'ReferralSent',
      'ReferralAccepted',
      'ReferralBooked',
      'ReferralBookingCancelled',
      'ReferralCancelled',
      'RttClockStopped',
    ]);
  });
});
