import { regionOfOrganisation } from '@trellis/platform';
import { createHash } from 'node:crypto';

import { applyTransition, assertTiming, type AppointmentAction } from '../domain/appointment-state';
import { AppointmentsError, AppointmentsErrorCode } from '../domain/appointments.errors';
import { classifyOdsCode, mayBook, type OrganisationType } from '../domain/organisation';
import { decodePageToken, encodePageToken } from '../domain/page-token';
import { isUniqueViolation } from '../domain/pg-errors';
import type { Actor, Clock } from '../domain/ports';
import { CODE, IDEMPOTENCY_KEY, pageSize, Violations } from '../domain/validation';
import { isParty, isRegisteredGp } from '../domain/visibility';
import type {
  PatientDirectory,
  PatientLookupContext,
  PatientStanding,
} from '@trellis/identity-client';
import type { AppointmentRow, Prisma, PrismaClient } from '../prisma';
import type { AppointmentEvent, AppointmentEventSink } from './appointment-events';
import {
  BookingRepository,
  type AppointmentVersionRow,
  type SlotWithSchedule,
} from './booking.repository';

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

const TX = { maxWait: 10_000, timeout: 15_000 } as const;

export function bookingRequestHash(input: {
  slotId: string;
  nhsNumber: string;
  referralId?: string | null;
}): string {
  return createHash('sha256')
    .update(JSON.stringify([input.slotId, input.nhsNumber, input.referralId ?? '']))
    .digest('hex');
}

export class BookingService {
  private readonly organisationTypeOf: (odsCode: string) => OrganisationType;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly repo: BookingRepository,
    private readonly patients: PatientDirectory,
    private readonly events: AppointmentEventSink,
    private readonly clock: Clock,
    options: BookingServiceOptions = {},
  ) {
    this.organisationTypeOf = options.organisationTypeOf ?? ((ods) => classifyOdsCode(ods));
  }

  async book(
    actor: Actor,
    input: BookInput,
    ctx: CallContext = {},
  ): Promise<{ appointment: AppointmentRow; replayed: boolean }> {
    const v = new Violations();
    if (v.required('idempotency_key', input.idempotencyKey)) {
      v.pattern(
        'idempotency_key',
        input.idempotencyKey,
        IDEMPOTENCY_KEY,
        'idempotency-key',
        'idempotency_key must be 8-128 characters of letters, digits, . _ : -',
      );
    }
    v.uuid('slot_id', input.slotId);
    const nhsNumber = v.nhsNumber('nhs_number', input.nhsNumber);
    if (input.referralId)
      v.pattern('referral_id', input.referralId, CODE, 'code', 'referral_id must be an identifier');
    v.throwIfAny();
    const referralId = input.referralId || null;
    const requestHash = bookingRequestHash({
      slotId: input.slotId,
      nhsNumber: nhsNumber!,
      referralId,
    });

    // The slot and the patient's standing with identity are looked up concurrently; slot problems
    // are reported first, then patient problems.
    const standing = this.patients.standing(nhsNumber!, ctx).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const slot = await this.repo.findSlot(this.prisma, input.slotId);
    if (!slot) throw slotNotFound(input.slotId);
    this.assertMayBook(actor, slot);
    // A retry of a booking that already succeeded finds its slot busy: answer with the earlier
    // appointment (or refuse the reuse of the key) instead of a conflict.
    if (slot.status !== 'free') {
      const earlier = await this.replay(actor.odsCode, input.idempotencyKey, requestHash);
      if (earlier) return { appointment: earlier, replayed: true };
    }
    if (slot.startAt.getTime() <= this.clock.now().getTime()) {
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
      const appointment = await this.prisma.$transaction(async (tx) => {
        const created = await this.repo.claimSlotAndCreate(tx, {
          slotId: slot.id,
          nhsNumber: nhsNumber!,
          bookingOdsCode: actor.odsCode,
          bookingRegion: regionOfOrganisation(actor.odsCode) ?? actor.region,
          referralId,
          idempotencyKey: input.idempotencyKey,
          requestHash,
        });
        if (!created) {
          const now = await this.repo.findSlot(tx, slot.id);
          throw slotNotFree(slot.id, now?.status ?? 'unknown');
        }
        await this.repo.recordVersions(tx, [created.id], 'booked', actor);
        await this.emit(tx, { type: 'AppointmentBooked', appointment: created }, actor, ctx);
        return created;
      }, TX);
      return { appointment, replayed: false };
    } catch (err) {
      // A concurrent request with the same key won: answer as a replay (or refuse the reuse).
      if (
        isUniqueViolation(err) ||
        (err instanceof AppointmentsError && err.code === AppointmentsErrorCode.SlotNotFree)
      ) {
        const winner = await this.replay(actor.odsCode, input.idempotencyKey, requestHash);
        if (winner) return { appointment: winner, replayed: true };
      }
      if (isUniqueViolation(err)) throw slotNotFree(slot.id, 'busy');
      throw err;
    }
  }

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
    return this.prisma.$transaction(async (tx) => {
      const current = await this.lockVisible(tx, actor, id, 'either', expectedVersion);
      this.step(current, 'cancel');
      const updated = await this.repo.updateAppointment(tx, id, {
        status: 'cancelled',
        cancellationReason: reason,
        cancelledAt: this.clock.now(),
      });
      await this.repo.releaseSlot(tx, current.slotId);
      await this.repo.recordVersions(tx, [id], 'cancelled', actor);
      await this.emit(
        tx,
        { type: 'AppointmentCancelled', appointment: updated, reason, cancelledBy: 'caller' },
        actor,
        ctx,
      );
      return updated;
    }, TX);
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
    const target = await this.repo.findSlot(this.prisma, newSlotId);
    if (!target) throw slotNotFound(newSlotId);
    return this.prisma.$transaction(async (tx) => {
      const current = await this.lockVisible(tx, actor, id, 'either', expectedVersion);
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
      this.assertMayBook({ ...actor, odsCode: current.bookingOdsCode }, target);
      if (target.startAt.getTime() <= this.clock.now().getTime()) {
        throw new AppointmentsError(
          AppointmentsErrorCode.SlotInPast,
          `Slot ${target.id} has already started`,
          { slotId: target.id },
        );
      }
      // Claim the new slot first: if it is taken, the transaction rolls back and the old slot stays held.
      if (!(await this.repo.claimSlot(tx, target.id))) {
        const now = await this.repo.findSlot(tx, target.id);
        throw slotNotFree(target.id, now?.status ?? 'unknown');
      }
      await this.repo.releaseSlot(tx, current.slotId);
      const updated = await this.repo.updateAppointment(tx, id, {
        slot: { connect: { id: target.id } },
        scheduleId: target.scheduleId,
        startAt: target.startAt,
        endAt: target.endAt,
        practitionerId: target.practitionerId,
        serviceType: target.serviceType,
      });
      await this.repo.recordVersions(tx, [id], 'rescheduled', actor);
      await this.emit(
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
    }, TX);
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

  async get(actor: Actor, id: string, ctx: CallContext = {}): Promise<AppointmentRow> {
    const v = new Violations();
    v.uuid('appointment_id', id);
    v.throwIfAny();
    const a = await this.repo.findAppointment(this.prisma, id);
    if (!a) throw appointmentNotFound(id);
    if (isParty(a, actor.odsCode)) return a;
    if (await this.isRegisteredGp(actor, a.nhsNumber, ctx)) return a;
    throw appointmentNotFound(id);
  }

  /** One version of an appointment; visible to whoever may read the appointment now (get). */
  async getVersion(
    actor: Actor,
    id: string,
    version: number,
    ctx: CallContext = {},
  ): Promise<AppointmentVersionRow> {
    const v = new Violations();
    v.uuid('appointment_id', id);
    if (!Number.isInteger(version) || version < 1)
      v.add('version', 'min', 'version must be a positive integer');
    v.throwIfAny();
    await this.get(actor, id, ctx);
    const found = await this.repo.findVersion(this.prisma, id, version);
    if (!found) {
      throw new AppointmentsError(
        AppointmentsErrorCode.AppointmentVersionNotFound,
        `Appointment ${id} has no version ${version}`,
        { appointmentId: id, version: String(version) },
      );
    }
    return found;
  }

  /** Every recorded version, newest first, paged; visible as `get`. */
  async listVersions(
    actor: Actor,
    id: string,
    page: { pageSize?: number; pageToken?: string },
    ctx: CallContext = {},
  ): Promise<{ versions: AppointmentVersionRow[]; nextPageToken: string; total: number }> {
    const v = new Violations();
    v.uuid('appointment_id', id);
    const take = pageSize(page.pageSize, v, 'page.page_size', 500, 50);
    v.throwIfAny();
    await this.get(actor, id, ctx);
    const filter = { q: 'versions', id };
    const cursor = decodePageToken(page.pageToken, filter, 'page.page_token');
    const [rows, total] = await Promise.all([
      this.repo.listVersions(this.prisma, id, cursor ? Number(cursor.i) : undefined, take + 1),
      this.repo.countVersions(this.prisma, id),
    ]);
    const versions = rows.slice(0, take);
    const last = versions[versions.length - 1];
    const nextPageToken =
      rows.length > take && last
        ? encodePageToken({ s: last.recordedAt.toISOString(), i: String(last.version) }, filter)
        : '';
    return { versions, nextPageToken, total };
  }

  async listForPatient(
    actor: Actor,
    input: { nhsNumber: string; period: Period; pageSize?: number; pageToken?: string },
    ctx: CallContext = {},
  ): Promise<{ appointments: AppointmentRow[]; nextPageToken: string }> {
    const v = new Violations();
    const nhsNumber = v.nhsNumber('nhs_number', input.nhsNumber);
    const take = pageSize(input.pageSize, v, 'page.page_size', 500, 50);
    v.throwIfAny();
    const filter = { q: 'patient', nhsNumber, period: input.period, org: actor.odsCode };
    const cursor = decodePageToken(input.pageToken, filter, 'page.page_token');
    const query = {
      nhsNumber: nhsNumber!,
      period: input.period,
      now: this.clock.now(),
      after: cursor ? { start: new Date(cursor.s), id: cursor.i } : undefined,
      take: take + 1,
    };
    // The page as the patient's registered GP practice would see it (every appointment). Identity
    // is asked only when that page holds an appointment the caller is not a party to; otherwise
    // the provider / booker view of this page is the same rows.
    const all = await this.repo.listForPatient(this.prisma, query);
    // the patient themself (a citizen's patient token) sees every appointment of their own
    if (actor.patient && actor.patient === nhsNumber) return paged(all, take, filter);
    if (all.every((a) => isParty(a, actor.odsCode))) return paged(all, take, filter);
    if (await this.isRegisteredGp(actor, nhsNumber!, ctx)) return paged(all, take, filter);
    const own = await this.repo.listForPatient(this.prisma, { ...query, odsCode: actor.odsCode });
    return paged(own, take, filter);
  }

  async dayList(
    actor: Actor,
    input: {
      odsCode?: string;
      date: string;
      includeCancelled: boolean;
      pageSize?: number;
      pageToken?: string;
    },
  ): Promise<{ appointments: AppointmentRow[]; nextPageToken: string }> {
    const v = new Violations();
    const odsCode = input.odsCode || actor.odsCode;
    v.odsCode('ods_code', odsCode);
    let from = new Date(NaN);
    if (v.required('date', input.date) && /^\d{4}-\d{2}-\d{2}$/.test(input.date))
      from = new Date(`${input.date}T00:00:00.000Z`);
    if (
      input.date &&
      (Number.isNaN(from.getTime()) || from.toISOString().slice(0, 10) !== input.date)
    ) {
      v.add('date', 'date', 'date must be a calendar date YYYY-MM-DD');
    }
    const take = pageSize(input.pageSize, v, 'page.page_size', 500, 50);
    v.throwIfAny();
    if (odsCode !== actor.odsCode) {
      throw new AppointmentsError(
        AppointmentsErrorCode.NotInvolved,
        `An organisation can only read its own day list (caller ${actor.odsCode}, requested ${odsCode})`,
        {
          callerOdsCode: actor.odsCode,
          odsCode,
        },
      );
    }
    const filter = { q: 'day', odsCode, date: input.date, c: input.includeCancelled };
    const cursor = decodePageToken(input.pageToken, filter, 'page.page_token');
    const rows = await this.repo.dayList(this.prisma, {
      odsCode,
      from,
      to: new Date(from.getTime() + 86_400_000),
      includeCancelled: input.includeCancelled,
      after: cursor ? { start: new Date(cursor.s), id: cursor.i } : undefined,
      take: take + 1,
    });
    return paged(rows, take, filter);
  }

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
    const now = this.clock.now();
    const from = deceasedAt && deceasedAt.getTime() < now.getTime() ? deceasedAt : now;
    const due = await this.repo.lockBookedFrom(tx, nhsNumber, from);
    const reason = `Patient deceased${deceasedAt ? ` (${deceasedAt.toISOString().slice(0, 10)})` : ''}: cancelled automatically on notification from the identity platform`;
    const cancelled: AppointmentRow[] = [];
    for (const a of due) {
      const updated = await this.repo.updateAppointment(tx, a.id, {
        status: 'cancelled',
        cancellationReason: reason,
        cancelledAt: now,
      });
      await this.repo.releaseSlot(tx, a.slotId);
      await this.repo.recordVersions(tx, [a.id], 'cancelled');
      await this.events.append(
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
    const moved = await this.repo.reassignPatient(tx, supersededNhsNumber, survivorNhsNumber);
    await this.repo.recordVersions(tx, moved, 'patient-merged');
    return moved.length;
  }

  // ---------------------------------------------------------------------------------------------

  private async replay(
    bookingOdsCode: string,
    key: string,
    requestHash: string,
  ): Promise<AppointmentRow | undefined> {
    const existing = await this.repo.findByIdempotencyKey(this.prisma, bookingOdsCode, key);
    if (!existing) return undefined;
    if (existing.requestHash !== requestHash) {
      throw new AppointmentsError(
        AppointmentsErrorCode.IdempotencyKeyReused,
        `Idempotency key '${key}' was already used by this organisation for a different booking (appointment ${existing.id})`,
        { idempotencyKey: key, appointmentId: existing.id },
      );
    }
    return existing;
  }

  private assertMayBook(actor: Actor, slot: SlotWithSchedule): void {
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

  /**
   * Is the caller the patient's current registered GP practice (identity's GetPatient, with the
   * caller's own token)? Identity refusing this caller, or withholding the GP registration, means
   * no; identity being unavailable is reported (never answered as "no appointments").
   */
  private async isRegisteredGp(
    actor: Actor,
    nhsNumber: string,
    ctx: CallContext,
  ): Promise<boolean> {
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

  private async lockVisible(
    tx: Prisma.TransactionClient,
    actor: Actor,
    id: string,
    who: 'provider' | 'either',
    expectedVersion?: number,
  ): Promise<AppointmentRow> {
    const a = await this.repo.lockAppointment(tx, id);
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
    assertTiming(action, a.startAt, this.clock.now(), a.endAt);
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
    return this.prisma.$transaction(async (tx) => {
      const current = await this.lockVisible(tx, actor, id, 'provider', expectedVersion);
      const next = this.step(current, action);
      const now = this.clock.now();
      const stamp: Prisma.AppointmentUpdateInput =
        action === 'arrive'
          ? { arrivedAt: now }
          : action === 'fulfil'
            ? { fulfilledAt: now }
            : { noShowAt: now };
      const updated = await this.repo.updateAppointment(tx, id, { status: next, ...stamp });
      await this.repo.recordVersions(
        tx,
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
      await this.emit(tx, event, actor, ctx);
      return updated;
    }, TX);
  }

  private emit(
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

function paged(
  rows: AppointmentRow[],
  take: number,
  filter: unknown,
): { appointments: AppointmentRow[]; nextPageToken: string } {
  const page = rows.slice(0, take);
  const last = page[page.length - 1];
  return {
    appointments: page,
    nextPageToken:
      rows.length > take && last
        ? encodePageToken({ s: last.startAt.toISOString(), i: last.id }, filter)
        : '',
  };
}

function slotNotFound(id: string): AppointmentsError {
  return new AppointmentsError(AppointmentsErrorCode.SlotNotFound, `Slot ${id} not found`, {
    slotId: id,
  });
}

function slotNotFree(id: string, status: string): AppointmentsError {
  return new AppointmentsError(
    AppointmentsErrorCode.SlotNotFree,
    `Slot ${id} is not free (status '${status.replace('_', '-')}'): it was booked by another request`,
    {
      slotId: id,
      slotStatus: status,
    },
  );
}

function appointmentNotFound(id: string): AppointmentsError {
  return new AppointmentsError(
    AppointmentsErrorCode.AppointmentNotFound,
    `Appointment ${id} not found`,
    { appointmentId: id },
  );
}
