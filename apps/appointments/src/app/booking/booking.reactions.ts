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
    const due = await this.s.repo.lockBookedFrom(tx, nhsNumber, from);
    const reason = `Patient deceased${deceasedAt ? ` (${deceasedAt.toISOString().slice(0, 10)})` : ''}: cancelled automatically on notification from the identity platform`;
    const cancelled: AppointmentRow[] = [];
    for (const a of due) {
      const updated = await this.s.repo.updateAppointment(tx, a.id, {
        status: 'cancelled',
        cancellationReason: reason,
        cancelledAt: now,
      });
      await this.s.repo.releaseSlot(tx, a.slotId);
      await this.s.repo.recordVersions(tx, [a.id], 'cancelled');
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
    if (supersededNhsNumber === survivorNhsNumber) return 0;
    const moved = await this.s.repo.reassignPatient(tx, supersededNhsNumber, survivorNhsNumber);
    await this.s.repo.recordVersions(tx, moved, 'patient-merged');
    return moved.length;
  }
}
