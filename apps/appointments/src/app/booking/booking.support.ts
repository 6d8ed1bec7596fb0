import { createHash } from 'node:crypto';

import type { PatientDirectory, PatientLookupContext } from '@trellis/identity-client';

import { AppointmentsError, AppointmentsErrorCode } from '../domain/appointments.errors';
import { classifyOdsCode, mayBook, type OrganisationType } from '../domain/organisation';
import type { Actor, Clock } from '../domain/ports';
import { isRegisteredGp } from '../domain/visibility';
import type { Prisma } from '../prisma';
import type { AppointmentEvent, AppointmentEventSink } from './appointment-events';
import type { BookingRepository, SlotWithSchedule } from './booking.repository';

export interface BookInput {
  idempotencyKey: string;
  slotId: string;
  nhsNumber: string;
  referralId?: string;
}

export interface CallContext extends PatientLookupContext {
  correlationId?: string;
}

export type Period = 'upcoming' | 'past' | 'all';

export interface BookingServiceOptions {
  /** Classifies a caller's ODS code for "bookable by organisation type" (default: by code shape). */
  organisationTypeOf?: (odsCode: string) => OrganisationType;
}

export function bookingRequestHash(input: {
  slotId: string;
  nhsNumber: string;
  referralId?: string | null;
}): string {
  return createHash('sha256')
    .update(JSON.stringify([input.slotId, input.nhsNumber, input.referralId ?? '']))
    .digest('hex');
}

/**
 * What the booking responsibilities (intake, transitions, queries, reactions) share: the ports,
 * who may book a slot, the registered-GP check and event emission.
 */
export class BookingSupport {
  readonly organisationTypeOf: (odsCode: string) => OrganisationType;

  constructor(
    readonly repo: BookingRepository,
    readonly patients: PatientDirectory,
    readonly events: AppointmentEventSink,
    readonly clock: Clock,
    options: BookingServiceOptions = {},
  ) {
    this.organisationTypeOf = options.organisationTypeOf ?? ((ods) => classifyOdsCode(ods));
  }

  assertMayBook(actor: Actor, slot: SlotWithSchedule): void {
    const s = slot.schedule;
    if (
      !mayBook(
        { ownerOdsCode: s.odsCode, odsCodes: s.bookableByOdsCodes, orgTypes: s.bookableByOrgTypes },
        actor.odsCode,
        this.organisationTypeOf(actor.odsCode),
      )
    ) {
      throw new AppointmentsError(
        AppointmentsErrorCode.NotAllowedToBook,
        `Organisation ${actor.odsCode} may not book slots of schedule ${s.id} (${s.odsCode} ${s.serviceType})`,
        { slotId: slot.id, scheduleId: s.id, callerOdsCode: actor.odsCode },
      );
    }
  }

  /**
   * Is the caller the patient's current registered GP practice (identity's GetPatient, with the
   * caller's own token)? Identity refusing this caller, or withholding the GP registration, means
   * no; identity being unavailable is reported (never answered as "no appointments").
   */
  async isRegisteredGp(actor: Actor, nhsNumber: string, ctx: CallContext): Promise<boolean> {
    try {
      return isRegisteredGp(await this.patients.standing(nhsNumber, ctx), actor.odsCode);
    } catch (error) {
      if (
        error instanceof AppointmentsError &&
        error.code === AppointmentsErrorCode.PatientLookupDenied
      )
        return false;
      throw error;
    }
  }

  emit(
    tx: Prisma.TransactionClient,
    event: AppointmentEvent,
    actor: Actor,
    ctx: CallContext,
  ): Promise<void> {
    return this.events.append(tx, event, {
      actor,
      correlationId: ctx.correlationId,
      occurredAt: this.clock.now(),
    });
  }
}

export function slotNotFound(id: string): AppointmentsError {
  return AppointmentsError.notFound(AppointmentsErrorCode.SlotNotFound, 'Slot', 'slotId', id);
}

export function slotNotFree(id: string, status: string): AppointmentsError {
  return new AppointmentsError(
    AppointmentsErrorCode.SlotNotFree,
    `Slot ${id} is not free (status '${status.replace('_', '-')}'): it was booked by another request`,
    {
      slotId: id,
      slotStatus: status,
    },
  );
}

export function appointmentNotFound(id: string): AppointmentsError {
  return AppointmentsError.notFound(
    AppointmentsErrorCode.AppointmentNotFound,
    'Appointment',
    'appointmentId',
    id,
  );
}
