import type { AppointmentRow, Prisma } from '../prisma';
import type { BookingSupport } from './booking.support';

/** Reactions to identity's events, inside the inbox transaction. */
export class BookingReactions {
  constructor(private readonly s: BookingSupport) {}

  /**
   * identity's PatientDeceased: cancels the patient's booked appointments from the time of death
   * (or now, if earlier) onwards, frees their slots and emits AppointmentCancelled for each.
   * Runs inside the inbox transaction, so a redelivered event is skipped; a re-run finds nothing
   * left in 'booked' anyway.
   */
  async onPatientDeceased(
    tx: Prisma.TransactionClient,
    nhsNumber: string,
    deceasedAt: Date | undefined,
    correlationId?: string,
  ): Promise<AppointmentRow[]> {
    const now = this.s.clock.now();
    const from = deceasedAt && deceasedAt.getTime() < now.getTime() ? deceasedAt : now;
    const repo = this.s.repo.joining(tx);
    const due = await repo.lockBookedFrom(nhsNumber, from);
    const reason = `Patient deceased${deceasedAt ? ` (${deceasedAt.toISOString().slice(0, 10)})` : ''}: cancelled automatically on notification from the identity platform`;
    const cancelled: AppointmentRow[] = [];
    for (const a of due) {
      const updated = await repo.updateAppointment(a.id, {
        status: 'cancelled',
        cancellationReason: reason,
        cancelledAt: now,
      });
      await repo.releaseSlot(a.slotId);
      await repo.recordVersions([a.id], 'cancelled');
      await this.s.events.append(
        tx,
        {
          type: 'AppointmentCancelled',
          appointment: updated,
          reason,
          cancelledBy: 'patient-deceased',
        },
        { occurredAt: now, correlationId },
      );
      cancelled.push(updated);
    }
    return cancelled;
  }

  /** identity's PatientMerged: the superseded number's appointments now belong to the survivor. */
  async onPatientMerged(
    tx: Prisma.TransactionClient,
    supersededNhsNumber: string,
    survivorNhsNumber: string,
  ): Promise<number> {
    const repo = this.s.repo.joining(tx);
    const moved = await repo.reassignPatient(supersededNhsNumber, survivorNhsNumber);
    await repo.recordVersions(moved, 'patient-merged');
    return moved.length;
  }
}
