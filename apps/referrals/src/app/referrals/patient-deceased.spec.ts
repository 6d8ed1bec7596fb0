import type { PatientDirectory } from '@trellis/identity-client';

import { fromDbStatus } from '../domain/referral-state';
import type { Prisma, PrismaClient, ReferralRow } from '../prisma';
import type { EventMeta, ReferralEvent } from './referral-events';
import {
  ReferralsRepository,
  type ReferralWithAttachments,
  type TransitionEntry,
} from './referrals.repository';
import {
  clockStopOnDeath,
  PATIENT_DECEASED,
  PLATFORM_SYSTEM_ID,
  ReferralsService,
} from './referrals.service';

const NOW = new Date('2028-03-10T12:00:00Z');
const SENT = new Date('2028-01-10T09:00:00Z');
const DIED = new Date('2028-03-08T06:30:00Z');
const NHS = '9990000018';
const OTHER = '9990000026';

let seq = 0;
function referral(
  status: ReferralRow['status'],
  extra: Partial<ReferralWithAttachments> = {},
): ReferralWithAttachments {
  seq += 1;
  const closed = ['rejected', 'advice_given', 'completed', 'cancelled'].includes(status);
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    nhsNumber: NHS,
    mergedFromNhsNumber: null,
    referrerOdsCode: 'A81001',
    referrerRegion: 'north-east',
    referrerPractitionerId: 'G8123456',
    targetOdsCode: 'RTH',
    targetRegion: 'south-east',
    specialtyCode: 'cardiology',
    priority: 'urgent',
    reasonCode: '29857009',
    reasonDisplay: 'Chest pain',
    clinicalSummary: 's',
    status,
    sentAt: SENT,
    rttStartedAt: SENT,
    rttStoppedAt: closed ? new Date('2028-02-01T10:00:00Z') : null,
    rttStopReason: closed ? 'referral-closed' : null,
    firstAppointmentAt: status === 'booked' ? new Date('2028-03-20T10:00:00Z') : null,
    appointmentId: status === 'booked' ? `appt-${seq}` : null,
    rejectionReason: null,
    advice: status === 'advice_given' ? 'statin' : null,
    cancellationReason: status === 'cancelled' ? 'patient declined' : null,
    returnReason: null,
    basedOnReferralId: null,
    convertedToReferralId: null,
    bookingFlagged: false,
    idempotencyKey: `k-${seq}`,
    requestHash: 'h',
    version: 3,
    createdAt: SENT,
    updatedAt: SENT,
    attachments: [],
    ...extra,
  };
}

/** The service over an in-memory repository (the SQL filter is proven by the integration test). */
function setup(rows: ReferralWithAttachments[]) {
  const store = new Map(rows.map((r) => [r.id, { ...r }]));
  const transitions: TransitionEntry[] = [];
  const events: { event: ReferralEvent; meta: EventMeta }[] = [];
  const repo = new ReferralsRepository({} as PrismaClient);
  // the reactions' unit of work is the consumer's transaction: the same in-memory repository
  repo.joining = () => repo;
  repo.lockOpenOfPatient = (nhs, statuses) =>
    Promise.resolve(
      [...store.values()]
        .filter(
          (r) =>
            r.nhsNumber === nhs &&
            statuses.includes(fromDbStatus(r.status)) &&
            !(r.status === 'advice_given' && r.convertedToReferralId),
        )
        .map((r) => r.id)
        .sort(),
    );
  repo.find = (id) => Promise.resolve(store.has(id) ? { ...store.get(id)! } : null);
  repo.lock = repo.find;
  repo.update = (id, data) => {
    const r = store.get(id)!;
    Object.assign(r, data, { version: r.version + 1 });
    return Promise.resolve({ ...r });
  };
  repo.addTransition = (e) => {
    transitions.push(e);
    return Promise.resolve();
  };
  const patients: PatientDirectory = { standing: () => Promise.reject(new Error('not asked')) };
  const service = new ReferralsService(
    repo,
    patients,
    {
      append: (_tx, event, meta) => {
        events.push({ event, meta });
        return Promise.resolve();
      },
    },
    { now: () => NOW },
  );
  const tx = {} as Prisma.TransactionClient;
  const die = (deceasedAt: Date | undefined = DIED, nhsNumber = NHS) =>
    service.onPatientDeceased(tx, { nhsNumber, deceasedAt }, 'corr-1');
  return { service, store, transitions, events, tx, die };
}

describe('ReferralsService.onPatientDeceased (in-memory repository)', () => {
  it('cancels sent, accepted, booked and unconverted advice-given referrals; closed ones and other patients are untouched', async () => {
    const open = [
      referral('sent'),
      referral('accepted'),
      referral('booked'),
      referral('advice_given'),
    ];
    const closed = [
      referral('rejected'),
      referral('completed'),
      referral('cancelled'),
      referral('advice_given', { convertedToReferralId: 'x' }),
    ];
    const other = referral('sent', { nhsNumber: OTHER });
    const { store, transitions, events, die } = setup([...open, ...closed, other]);

    expect(await die()).toBe(4);

    for (const r of open) {
      expect(store.get(r.id)).toMatchObject({
        status: 'cancelled',
        cancellationReason: PATIENT_DECEASED,
        version: 4,
      });
    }
    for (const r of [...closed, other]) expect(store.get(r.id)).toEqual(r);
    expect(store.get(open[2]!.id)!.appointmentId).toBe(open[2]!.appointmentId);
    expect(transitions.map((t) => `${t.fromStatus}>${t.toStatus}`).sort()).toEqual([
      'accepted>cancelled',
      'advice-given>cancelled',
      'booked>cancelled',
      'sent>cancelled',
    ]);
    for (const t of transitions) {
      expect(t).toMatchObject({
        at: NOW,
        actorSystemId: PLATFORM_SYSTEM_ID,
        actorOdsCode: null,
        actorUserId: null,
        source: 'event',
      });
      expect(t.note).toMatch(/^patient deceased \(identity PatientDeceased, died 2028-03-08\)/);
    }
    const cancelledEvents = events.filter((e) => e.event.type === 'ReferralCancelled');
    expect(cancelledEvents).toHaveLength(4);
    for (const e of cancelledEvents) {
      expect(e.event).toMatchObject({ reason: PATIENT_DECEASED });
      // no caller: the outbox sink names this platform as the actor
      expect(e.meta).toEqual({ occurredAt: NOW, correlationId: 'corr-1' });
    }
  });

  it('stops a running RTT clock at the date of death (referral-closed) with RttClockStopped; a stopped clock is left alone', async () => {
    const running = referral('accepted');
    const advice = referral('advice_given');
    const { store, events, die } = setup([running, advice]);
    await die();
    expect(store.get(running.id)).toMatchObject({
      rttStoppedAt: DIED,
      rttStopReason: 'referral-closed',
    });
    expect(store.get(advice.id)).toMatchObject({
      rttStoppedAt: advice.rttStoppedAt,
      rttStopReason: 'referral-closed',
    });
    // referrals in id order (running was created first)
    expect(events.map((e) => `${e.event.referral.id}:${e.event.type}`)).toEqual([
      `${running.id}:ReferralCancelled`,
      `${running.id}:RttClockStopped`,
      `${advice.id}:ReferralCancelled`,
    ]);
    const stop = events.find((e) => e.event.type === 'RttClockStopped')!.event;
    expect(stop).toMatchObject({ reason: 'referral-closed', referral: { rttStoppedAt: DIED } });
  });

  it('clamps the clock stop between the clock start and now', () => {
    expect(clockStopOnDeath(SENT, undefined, NOW)).toEqual(NOW);
    expect(clockStopOnDeath(SENT, new Date('2027-12-01T00:00:00Z'), NOW)).toEqual(SENT);
    expect(clockStopOnDeath(SENT, new Date('2028-04-01T00:00:00Z'), NOW)).toEqual(NOW);
    expect(clockStopOnDeath(SENT, DIED, NOW)).toEqual(DIED);
    expect(clockStopOnDeath(SENT, new Date(Number.NaN), NOW)).toEqual(NOW);
  });

  it('a repeated death notification changes nothing', async () => {
    const r = referral('booked');
    const { store, transitions, events, die } = setup([r]);
    expect(await die()).toBe(1);
    const after = { ...store.get(r.id)! };
    expect(await die()).toBe(0);
    expect(await die(undefined)).toBe(0);
    expect(store.get(r.id)).toEqual(after);
    expect(transitions).toHaveLength(1);
    expect(events.map((e) => e.event.type)).toEqual(['ReferralCancelled', 'RttClockStopped']);
  });

  it('AppointmentCancelled after the death leaves the referral cancelled', async () => {
    const r = referral('booked');
    const { service, store, transitions, events, tx, die } = setup([r]);
    await die();
    const outcome = await service.onAppointmentCancelled(tx, {
      referralId: r.id,
      appointmentId: r.appointmentId!,
      reason: 'patient died',
      cancelledBy: 'patient-deceased',
    });
    expect(outcome).toBe('not-booked');
    expect(store.get(r.id)!.status).toBe('cancelled');
    expect(transitions).toHaveLength(1);
    expect(events.some((e) => e.event.type === 'ReferralBookingCancelled')).toBe(false);
  });

  it('AppointmentCancelled before the death: booked -> accepted, then the death cancels it', async () => {
    const r = referral('booked');
    const { service, store, transitions, tx, die } = setup([r]);
    expect(
      await service.onAppointmentCancelled(tx, {
        referralId: r.id,
        appointmentId: r.appointmentId!,
        reason: 'patient died',
        cancelledBy: 'patient-deceased',
      }),
    ).toBe('unbooked');
    expect(store.get(r.id)!.status).toBe('accepted');
    expect(await die()).toBe(1);
    expect(store.get(r.id)).toMatchObject({
      status: 'cancelled',
      cancellationReason: PATIENT_DECEASED,
      rttStoppedAt: DIED,
    });
    expect(transitions.map((t) => `${t.fromStatus}>${t.toStatus}`)).toEqual([
      'booked>accepted',
      'accepted>cancelled',
    ]);
  });

  it('a patient with no referrals: nothing to do', async () => {
    const { events, die } = setup([referral('sent', { nhsNumber: OTHER })]);
    expect(await die()).toBe(0);
    expect(events).toEqual([]);
  });
});
