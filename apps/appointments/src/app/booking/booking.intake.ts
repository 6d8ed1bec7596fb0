import { regionOfOrganisation } from '@trellis/service-kit';
import type { PatientStanding } from '@trellis/identity-client';

import { AppointmentsError, AppointmentsErrorCode } from '../domain/appointments.errors';
import { idempotentCreate, isUniqueViolation } from '@trellis/database';
import type { Actor } from '../domain/ports';
import { Violations } from '../domain/validation';
import type { AppointmentRow } from '../prisma';
import {
  type BookInput,
  type BookingSupport,
  bookingRequestHash,
  type CallContext,
  slotNotFound,
  slotNotFree,
} from './booking.support';

/** Booking a slot: idempotent on the booking organisation's key, the slot claimed once. */
export class BookingIntake {
  constructor(private readonly s: BookingSupport) {}

  async book(
    actor: Actor,
    input: BookInput,
    ctx: CallContext = {},
  ): Promise<{ appointment: AppointmentRow; replayed: boolean }> {
    const v = new Violations();
    if (v.required('idempotency_key', input.idempotencyKey)) {
      v.idempotencyKey('idempotency_key', input.idempotencyKey);
    }
    v.uuid('slot_id', input.slotId);
    const nhsNumber = v.nhsNumber('nhs_number', input.nhsNumber);
    if (input.referralId)
      v.code('referral_id', input.referralId, 'referral_id must be an identifier');
    v.throwIfAny();
    const referralId = input.referralId || null;
    const requestHash = bookingRequestHash({
      slotId: input.slotId,
      nhsNumber: nhsNumber!,
      referralId,
    });

    const request = idempotentCreate({
      stored: () => this.s.repo.findByIdempotencyKey(actor.odsCode, input.idempotencyKey),
      requestHash,
      reused: (existing) =>
        new AppointmentsError(
          AppointmentsErrorCode.IdempotencyKeyReused,
          `Idempotency key '${input.idempotencyKey}' was already used by this organisation for a different booking (appointment ${existing.id})`,
          { idempotencyKey: input.idempotencyKey, appointmentId: existing.id },
        ),
    });

    // The slot and the patient's standing with identity are looked up concurrently; slot problems
    // are reported first, then patient problems.
    const standing = this.s.patients.standing(nhsNumber!, ctx).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const slot = await this.s.repo.findSlot(input.slotId);
    if (!slot) throw slotNotFound(input.slotId);
    this.s.assertMayBook(actor, slot);
    // A retry of a booking that already succeeded finds its slot busy: answer with the earlier
    // appointment (or refuse the reuse of the key) instead of a conflict.
    if (slot.status !== 'free') {
      const earlier = await request.replay();
      if (earlier) return { appointment: earlier, replayed: true };
    }
    if (slot.startAt.getTime() <= this.s.clock.now().getTime()) {
      throw new AppointmentsError(
        AppointmentsErrorCode.SlotInPast,
        `Slot ${slot.id} started at ${slot.startAt.toISOString()}; it can no longer be booked`,
        { slotId: slot.id },
      );
    }
    if (slot.status !== 'free') throw slotNotFree(slot.id, slot.status);
    const patient = await standing;
    if (!patient.ok) throw patient.error;
    this.assertPatientBookable(nhsNumber!, patient.value);

    try {
      const { row: appointment, replayed } = await request.create(
        () =>
          this.s.repo.inTransaction(async (repo, tx) => {
            const created = await repo.claimSlotAndCreate({
              slotId: slot.id,
              nhsNumber: nhsNumber!,
              bookingOdsCode: actor.odsCode,
              bookingRegion: regionOfOrganisation(actor.odsCode) ?? actor.region,
              referralId,
              idempotencyKey: input.idempotencyKey,
              requestHash,
            });
            if (!created) {
              const now = await repo.findSlot(slot.id);
              throw slotNotFree(slot.id, now?.status ?? 'unknown');
            }
            await repo.recordVersions([created.id], 'booked', actor);
            await this.s.emit(tx, { type: 'AppointmentBooked', appointment: created }, actor, ctx);
            return created;
          }),
        // a concurrent request with the same key won the race: by its key, or by the slot it claimed
        (err) =>
          isUniqueViolation(err) ||
          (err instanceof AppointmentsError && err.code === AppointmentsErrorCode.SlotNotFree),
      );
      return { appointment, replayed };
    } catch (err) {
      // no winner under this key: another booking took the slot
      if (isUniqueViolation(err)) throw slotNotFree(slot.id, 'busy');
      throw err;
    }
  }

  private assertPatientBookable(nhsNumber: string, p: PatientStanding): void {
    switch (p.kind) {
      case 'active':
        return;
      case 'not-found':
        throw new AppointmentsError(
          AppointmentsErrorCode.PatientNotFound,
          `No patient with NHS number ${nhsNumber}`,
          { nhsNumber },
        );
      case 'deceased':
        throw new AppointmentsError(
          AppointmentsErrorCode.PatientDeceased,
          `Patient ${nhsNumber} is recorded as deceased; appointments cannot be booked`,
          { nhsNumber },
        );
      case 'merged':
        throw new AppointmentsError(
          AppointmentsErrorCode.PatientMerged,
          `NHS number ${nhsNumber} was merged into ${p.survivorNhsNumber}; book with the surviving number`,
          { nhsNumber, survivorNhsNumber: p.survivorNhsNumber },
        );
    }
  }
}
