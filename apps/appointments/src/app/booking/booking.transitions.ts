import { applyTransition, assertTiming, type AppointmentAction } from '../domain/appointment-state';
import { AppointmentsError, AppointmentsErrorCode } from '../domain/appointments.errors';
import type { Actor } from '../domain/ports';
import { Violations } from '../domain/validation';
import { isParty } from '../domain/visibility';
import type { AppointmentRow, Prisma } from '../prisma';
import type { BookingRepository } from './booking.repository';
import type { AppointmentEvent } from './appointment-events';
import {
  appointmentNotFound,
  type BookingSupport,
  type CallContext,
  slotNotFound,
  slotNotFree,
} from './booking.support';

/** An appointment's transitions by its parties: cancel, reschedule, arrived, fulfilled, no-show. */
export class BookingTransitions {
  constructor(private readonly s: BookingSupport) {}

  async cancel(
    actor: Actor,
    id: string,
    reason: string,
    ctx: CallContext = {},
    expectedVersion?: number,
  ): Promise<AppointmentRow> {
    const v = new Violations();
    v.uuid('appointment_id', id);
    if (v.required('reason', reason) && reason.length > 500)
      v.add('reason', 'max-length', 'reason must be at most 500 characters');
    v.throwIfAny();
    return this.s.repo.inTransaction(async (repo, tx) => {
      const current = await this.lockVisible(repo, actor, id, 'either', expectedVersion);
      this.step(current, 'cancel');
      const updated = await repo.updateAppointment(id, {
        status: 'cancelled',
        cancellationReason: reason,
        cancelledAt: this.s.clock.now(),
      });
      await repo.releaseSlot(current.slotId);
      await repo.recordVersions([id], 'cancelled', actor);
      await this.s.emit(
        tx,
        { type: 'AppointmentCancelled', appointment: updated, reason, cancelledBy: 'caller' },
        actor,
        ctx,
      );
      return updated;
    });
  }

  async reschedule(
    actor: Actor,
    id: string,
    newSlotId: string,
    reason: string,
    ctx: CallContext = {},
    expectedVersion?: number,
  ): Promise<{ appointment: AppointmentRow; previousSlotId: string }> {
    const v = new Violations();
    v.uuid('appointment_id', id);
    v.uuid('new_slot_id', newSlotId);
    if ((reason ?? '').length > 500)
      v.add('reason', 'max-length', 'reason must be at most 500 characters');
    v.throwIfAny();
    const target = await this.s.repo.findSlot(newSlotId);
    if (!target) throw slotNotFound(newSlotId);
    return this.s.repo.inTransaction(async (repo, tx) => {
      const current = await this.lockVisible(repo, actor, id, 'either', expectedVersion);
      this.step(current, 'reschedule');
      if (target.id === current.slotId) {
        throw AppointmentsError.invalid([
          {
            field: 'new_slot_id',
            rule: 'different-slot',
            message: 'new_slot_id is the slot the appointment already holds',
          },
        ]);
      }
      if (target.odsCode !== current.odsCode) {
        throw AppointmentsError.invalid([
          {
            field: 'new_slot_id',
            rule: 'same-provider',
            message: `the new slot must belong to the same organisation (${current.odsCode})`,
          },
        ]);
      }
      this.s.assertMayBook({ ...actor, odsCode: current.bookingOdsCode }, target);
      if (target.startAt.getTime() <= this.s.clock.now().getTime()) {
        throw new AppointmentsError(
          AppointmentsErrorCode.SlotInPast,
          `Slot ${target.id} has already started`,
          { slotId: target.id },
        );
      }
      // Claim the new slot first: if it is taken, the transaction rolls back and the old slot stays held.
      if (!(await repo.claimSlot(target.id))) {
        const now = await repo.findSlot(target.id);
        throw slotNotFree(target.id, now?.status ?? 'unknown');
      }
      await repo.releaseSlot(current.slotId);
      const updated = await repo.updateAppointment(id, {
        slot: { connect: { id: target.id } },
        scheduleId: target.scheduleId,
        startAt: target.startAt,
        endAt: target.endAt,
        practitionerId: target.practitionerId,
        serviceType: target.serviceType,
      });
      await repo.recordVersions([id], 'rescheduled', actor);
      await this.s.emit(
        tx,
        {
          type: 'AppointmentRescheduled',
          appointment: updated,
          previous: { slotId: current.slotId, start: current.startAt, end: current.endAt },
          reason: reason ?? '',
        },
        actor,
        ctx,
      );
      return { appointment: updated, previousSlotId: current.slotId };
    });
  }

  markArrived(
    actor: Actor,
    id: string,
    ctx: CallContext = {},
    expectedVersion?: number,
  ): Promise<AppointmentRow> {
    return this.providerTransition(actor, id, 'arrive', ctx, expectedVersion);
  }

  markFulfilled(
    actor: Actor,
    id: string,
    ctx: CallContext = {},
    expectedVersion?: number,
  ): Promise<AppointmentRow> {
    return this.providerTransition(actor, id, 'fulfil', ctx, expectedVersion);
  }

  markNoShow(
    actor: Actor,
    id: string,
    ctx: CallContext = {},
    expectedVersion?: number,
  ): Promise<AppointmentRow> {
    return this.providerTransition(actor, id, 'no-show', ctx, expectedVersion);
  }

  private async lockVisible(
    repo: BookingRepository,
    actor: Actor,
    id: string,
    who: 'provider' | 'either',
    expectedVersion?: number,
  ): Promise<AppointmentRow> {
    const a = await repo.lockAppointment(id);
    if (!a || !isParty(a, actor.odsCode)) throw appointmentNotFound(id);
    if (expectedVersion !== undefined && expectedVersion > 0 && expectedVersion !== a.version) {
      throw new AppointmentsError(
        AppointmentsErrorCode.VersionConflict,
        `Appointment ${id} is at version ${a.version}, not the expected version ${expectedVersion}`,
        { appointmentId: id, currentVersion: String(a.version) },
      );
    }
    if (who === 'provider' && a.odsCode !== actor.odsCode) {
      throw new AppointmentsError(
        AppointmentsErrorCode.NotInvolved,
        `Only the providing organisation ${a.odsCode} can record attendance for appointment ${id}`,
        {
          appointmentId: id,
          callerOdsCode: actor.odsCode,
        },
      );
    }
    return a;
  }

  private step(a: AppointmentRow, action: AppointmentAction) {
    const next = applyTransition(a.status, action);
    assertTiming(action, a.startAt, this.s.clock.now(), a.endAt);
    return next;
  }

  private async providerTransition(
    actor: Actor,
    id: string,
    action: 'arrive' | 'fulfil' | 'no-show',
    ctx: CallContext,
    expectedVersion?: number,
  ): Promise<AppointmentRow> {
    const v = new Violations();
    v.uuid('appointment_id', id);
    v.throwIfAny();
    return this.s.repo.inTransaction(async (repo, tx) => {
      const current = await this.lockVisible(repo, actor, id, 'provider', expectedVersion);
      const next = this.step(current, action);
      const now = this.s.clock.now();
      const stamp: Prisma.AppointmentUpdateInput =
        action === 'arrive'
          ? { arrivedAt: now }
          : action === 'fulfil'
            ? { fulfilledAt: now }
            : { noShowAt: now };
      const updated = await repo.updateAppointment(id, { status: next, ...stamp });
      await repo.recordVersions(
        [id],
        next === 'noshow' ? 'noshow' : next === 'arrived' ? 'arrived' : 'fulfilled',
        actor,
      );
      const event: AppointmentEvent =
        action === 'no-show'
          ? { type: 'AppointmentMissed', appointment: updated }
          : {
              type: 'AppointmentAttended',
              appointment: updated,
              stage: action === 'arrive' ? 'arrived' : 'fulfilled',
            };
      await this.s.emit(tx, event, actor, ctx);
      return updated;
    });
  }
}
