import { events } from '@trellis/contracts';

import type { ReferralRow } from '../app/prisma';
import { toOutboxInput } from './outbox-referral-event-sink';

const sentAt = new Date('2028-01-10T09:00:00Z');
const row: ReferralRow = {
  id: '6c1f3c5e-8a0b-4f4e-9f0e-0d7c2b1a9e11',
  nhsNumber: '9434765919',
  mergedFromNhsNumber: null,
  referrerOdsCode: 'A81001',
  referrerRegion: 'north-east',
  referrerPractitionerId: 'G8123456',
  targetOdsCode: 'RTH',
  targetRegion: 'south-east',
  specialtyCode: 'cardiology',
  priority: 'two_week_wait',
  reasonCode: '29857009',
  reasonDisplay: 'Chest pain',
  clinicalSummary: 's',
  status: 'completed',
  sentAt,
  rttStartedAt: sentAt,
  rttStoppedAt: new Date('2028-05-16T10:00:00Z'),
  rttStopReason: 'first-definitive-treatment',
  firstAppointmentAt: new Date('2028-01-26T10:00:00Z'),
  appointmentId: 'a1',
  rejectionReason: null,
  advice: null,
  cancellationReason: null,
  returnReason: null,
  basedOnReferralId: null,
  convertedToReferralId: null,
  bookingFlagged: false,
  idempotencyKey: 'k',
  requestHash: 'h',
  version: 5,
  createdAt: sentAt,
  updatedAt: sentAt,
};

describe('referral events on the outbox', () => {
  it('names both organisations and regions in the CloudEvents extensions and the payload', () => {
    const out = toOutboxInput(
      { type: 'ReferralCompleted', referral: row, note: 'discharged' },
      {
        occurredAt: new Date('2028-05-16T10:00:00Z'),
        actor: { systemId: 'epr', odsCode: 'RTH', region: 'south-east' },
      },
    );
    expect(out).toMatchObject({
      topic: 'trellis.referrals.referral.v1',
      type: 'uk.nhs.trellis.referrals.ReferralCompleted.v1',
      key: '9434765919',
      subject: row.id,
      odsCode: 'RTH',
      region: 'south-east',
      regions: ['south-east', 'north-east'],
    });
    const msg = events.v1.ReferralCompleted.decode(out.payload);
    expect(msg.context?.organisations).toEqual([
      { odsCode: 'RTH', region: 'south-east' },
      { odsCode: 'A81001', region: 'north-east' },
    ]);
    expect(msg.referral).toMatchObject({
      referrerOdsCode: 'A81001',
      referrerRegion: 'north-east',
      targetOdsCode: 'RTH',
      targetRegion: 'south-east',
      priority: 'two-week-wait',
      status: 'completed',
      version: 5,
    });
    expect(msg.note).toBe('discharged');
  });

  it('RttClockStopped carries the wait and the breach flags', () => {
    const out = toOutboxInput(
      { type: 'RttClockStopped', referral: row, reason: 'first-definitive-treatment' },
      { occurredAt: new Date('2028-05-16T10:00:00Z') },
    );
    const msg = events.v1.RttClockStopped.decode(out.payload);
    // 2028-01-10 -> 2028-05-16 = 127 days (leap year): breached; first appointment 16 days: 2WW breached
    expect(msg).toMatchObject({
      reason: 'first-definitive-treatment',
      daysWaited: 127,
      weeksWaited: 18,
      breached18Weeks: true,
      breachedTwoWeekWait: true,
    });
    expect(msg.context?.actor?.systemId).toBe('trellis-referrals');
  });
});
