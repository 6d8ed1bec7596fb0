import { CANCELLED_ON_DEATH, nextStatus, toDbStatus } from '../domain/referral-state';
import { type RttStopReason } from '../domain/rtt';
import type { Prisma } from '../prisma';
import {
  clockStopOnDeath,
  PATIENT_DECEASED,
  PLATFORM_SYSTEM_ID,
  type ReferralSupport,
  statusOf,
} from './referrals.support';

/** Reactions to other platforms' events (appointments, identity), inside the inbox transaction. */
export class ReferralReactions {
  constructor(private readonly s: ReferralSupport) {}

  /**
   * appointments' AppointmentBooked carrying this platform's referral id: sent/accepted -> booked
   * (first appointment time recorded for the two-week-wait rule). A booking for a referral that
   * cannot be booked (rejected, cancelled, advice-given, completed) or for another patient or
   * provider is flagged on the referral and its timeline, not applied. A redelivered or repeated
   * booking of the same appointment changes nothing.
   */
  async onAppointmentBooked(
    tx: Prisma.TransactionClient,
    booking: {
      referralId: string;
      appointmentId: string;
      nhsNumber: string;
      odsCode: string;
      start?: Date;
      bookedBy?: { systemId: string; odsCode: string };
    },
    correlationId?: string,
  ): Promise<'booked' | 'flagged' | 'duplicate' | 'unknown-referral'> {
    if (!/^[0-9a-f-]{36}$/i.test(booking.referralId)) return 'unknown-referral';
    const repo = this.s.repo.joining(tx);
    const current = await repo.lock(booking.referralId);
    if (!current) return 'unknown-referral';
    const now = this.s.clock.now();
    const status = statusOf(current);
    const actor = {
      actorSystemId: booking.bookedBy?.systemId || 'trellis-appointments',
      actorOdsCode: booking.bookedBy?.odsCode ?? booking.odsCode,
      actorUserId: null,
    };
    if (current.appointmentId === booking.appointmentId) return 'duplicate';
    const problem =
      status !== 'sent' && status !== 'accepted'
        ? `referral is '${status}'`
        : current.nhsNumber !== booking.nhsNumber &&
            current.mergedFromNhsNumber !== booking.nhsNumber
          ? `appointment is for patient ${booking.nhsNumber}, the referral for ${current.nhsNumber}`
          : booking.odsCode !== current.targetOdsCode
            ? `appointment is with ${booking.odsCode}, the referral targets ${current.targetOdsCode}`
            : undefined;
    if (problem) {
      await repo.update(current.id, { bookingFlagged: true });
      await repo.addTransition({
        referralId: current.id,
        fromStatus: status,
        toStatus: status,
        at: now,
        ...actor,
        note: `booking-flagged: appointment ${booking.appointmentId} not applied (${problem})`,
        source: 'event',
      });
      return 'flagged';
    }
    const to = nextStatus(status, 'book', current.id);
    const first =
      current.firstAppointmentAt && booking.start && current.firstAppointmentAt < booking.start
        ? current.firstAppointmentAt
        : (booking.start ?? current.firstAppointmentAt);
    const updated = await repo.update(current.id, {
      status: toDbStatus(to),
      appointmentId: booking.appointmentId,
      firstAppointmentAt: first ?? null,
    });
    await repo.addTransition({
      referralId: current.id,
      fromStatus: status,
      toStatus: to,
      at: now,
      ...actor,
      note: `appointment ${booking.appointmentId}${booking.start ? ` at ${booking.start.toISOString()}` : ''}`,
      source: 'event',
    });
    await this.s.events.append(
      tx,
      {
        type: 'ReferralBooked',
        referral: updated,
        appointmentId: booking.appointmentId,
        appointmentStart: booking.start,
      },
      { occurredAt: now, correlationId },
    );
    return 'booked';
  }

  /**
   * appointments' AppointmentCancelled for the appointment a referral is booked with:
   * booked -> accepted (awaiting a new booking), appointment id cleared, a timeline row and
   * ReferralBookingCancelled. A cancellation of any other appointment (already unbooked, rebooked
   * elsewhere, or a referral that moved on: completed, cancelled) changes nothing, so a
   * redelivered or repeated event is harmless. The first appointment time (two-week-wait rule)
   * is kept: it records the first appointment offered.
   */
  async onAppointmentCancelled(
    tx: Prisma.TransactionClient,
    cancellation: {
      referralId: string;
      appointmentId: string;
      reason: string;
      cancelledBy: string;
      actor?: { systemId: string; odsCode: string };
    },
    correlationId?: string,
  ): Promise<'unbooked' | 'not-booked' | 'unknown-referral'> {
    if (!/^[0-9a-f-]{36}$/i.test(cancellation.referralId)) return 'unknown-referral';
    const repo = this.s.repo.joining(tx);
    const current = await repo.lock(cancellation.referralId);
    if (!current) return 'unknown-referral';
    const status = statusOf(current);
    if (status !== 'booked' || current.appointmentId !== cancellation.appointmentId)
      return 'not-booked';
    const now = this.s.clock.now();
    const to = nextStatus(status, 'unbook', current.id);
    const updated = await repo.update(current.id, {
      status: toDbStatus(to),
      appointmentId: null,
    });
    await repo.addTransition({
      referralId: current.id,
      fromStatus: status,
      toStatus: to,
      at: now,
      actorSystemId: cancellation.actor?.systemId || 'trellis-appointments',
      actorOdsCode: cancellation.actor?.odsCode || null,
      actorUserId: null,
      note: `appointment ${cancellation.appointmentId} cancelled${cancellation.reason ? ` (${cancellation.reason})` : ''}${cancellation.cancelledBy ? ` by ${cancellation.cancelledBy}` : ''}: awaiting a new booking`,
      source: 'event',
    });
    await this.s.events.append(
      tx,
      {
        type: 'ReferralBookingCancelled',
        referral: updated,
        appointmentId: cancellation.appointmentId,
        reason: cancellation.reason,
        cancelledBy: cancellation.cancelledBy,
      },
      { occurredAt: now, correlationId },
    );
    return 'unbooked';
  }

  /**
   * identity's PatientDeceased: the platform itself cancels every open referral of the patient
   * (sent, accepted, booked, and advice-given not yet converted) with reason "patient deceased":
   * per referral one update (status cancelled, version + 1, snapshot by trigger), a timeline row
   * (actor = this platform, source event) and ReferralCancelled, plus RttClockStopped
   * (referral-closed) when the clock was running, as CancelReferral does. The clock stops at the
   * date of death when given (not before the clock started, not after now): the patient stopped
   * waiting then, not when the death reached us. Closed referrals (rejected, completed,
   * cancelled, converted advice) are not touched, so a redelivered or repeated event changes
   * nothing; an AppointmentCancelled arriving later finds the referral not booked and leaves it
   * cancelled. The booked appointment's id is kept (appointments cancels the appointment itself).
   */
  async onPatientDeceased(
    tx: Prisma.TransactionClient,
    death: { nhsNumber: string; deceasedAt?: Date },
    correlationId?: string,
  ): Promise<number> {
    const repo = this.s.repo.joining(tx);
    const ids = await repo.lockOpenOfPatient(death.nhsNumber, CANCELLED_ON_DEATH);
    const now = this.s.clock.now();
    let cancelled = 0;
    for (const id of ids) {
      const current = (await repo.find(id))!;
      const from = statusOf(current);
      if (!CANCELLED_ON_DEATH.includes(from)) continue;
      const data: Prisma.ReferralUncheckedUpdateInput = {
        status: 'cancelled',
        cancellationReason: PATIENT_DECEASED,
      };
      let stoppedAt: Date | undefined;
      if (!current.rttStoppedAt) {
        stoppedAt = clockStopOnDeath(current.rttStartedAt, death.deceasedAt, now);
        data.rttStoppedAt = stoppedAt;
        data.rttStopReason = 'referral-closed' satisfies RttStopReason;
      }
      const updated = await repo.update(id, data);
      const died = death.deceasedAt ? `, died ${death.deceasedAt.toISOString().slice(0, 10)}` : '';
      await repo.addTransition({
        referralId: id,
        fromStatus: from,
        toStatus: 'cancelled',
        at: now,
        actorSystemId: PLATFORM_SYSTEM_ID,
        actorOdsCode: null,
        actorUserId: null,
        note: `${PATIENT_DECEASED} (identity PatientDeceased${died}): cancelled by the platform${stoppedAt ? `; RTT clock stopped at ${stoppedAt.toISOString()}` : ''}`,
        source: 'event',
      });
      const meta = { occurredAt: now, correlationId };
      await this.s.events.append(
        tx,
        { type: 'ReferralCancelled', referral: updated, reason: PATIENT_DECEASED },
        meta,
      );
      if (stoppedAt)
        await this.s.events.append(
          tx,
          { type: 'RttClockStopped', referral: updated, reason: 'referral-closed' },
          meta,
        );
      cancelled += 1;
    }
    return cancelled;
  }

  /** identity's PatientMerged: the superseded number's referrals move to the survivor. */
  async onPatientMerged(
    tx: Prisma.TransactionClient,
    superseded: string,
    survivor: string,
  ): Promise<number> {
    const repo = this.s.repo.joining(tx);
    const ids = await repo.reassignPatient(superseded, survivor);
    const now = this.s.clock.now();
    for (const id of ids) {
      const r = (await repo.find(id))!;
      await repo.addTransition({
        referralId: id,
        fromStatus: statusOf(r),
        toStatus: statusOf(r),
        at: now,
        actorSystemId: 'trellis-identity',
        note: `patient ${superseded} merged into ${survivor}`,
        source: 'event',
      });
    }
    return ids.length;
  }
}
