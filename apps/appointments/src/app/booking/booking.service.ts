import type { PatientDirectory } from '@trellis/identity-client';

import type { Actor, Clock } from '../domain/ports';
import type { AppointmentRow, Prisma, PrismaClient } from '../prisma';
import type { AppointmentEventSink } from './appointment-events';
import { BookingIntake } from './booking.intake';
import { BookingQueries } from './booking.queries';
import { BookingReactions } from './booking.reactions';
import type { AppointmentVersionRow, BookingRepository } from './booking.repository';
import {
  type BookInput,
  type BookingServiceOptions,
  BookingSupport,
  type CallContext,
  type Period,
} from './booking.support';
import { BookingTransitions } from './booking.transitions';

export {
  type BookInput,
  bookingRequestHash,
  type BookingServiceOptions,
  type CallContext,
  type Period,
} from './booking.support';

/**
 * Appointment booking rules, one entry point over its responsibilities: intake (book),
 * transitions (cancel, reschedule, attendance), queries and reactions to identity's events.
 */
export class BookingService {
  private readonly intake: BookingIntake;
  private readonly transitions: BookingTransitions;
  private readonly queries: BookingQueries;
  private readonly reactions: BookingReactions;

  constructor(
    prisma: PrismaClient,
    repo: BookingRepository,
    patients: PatientDirectory,
    events: AppointmentEventSink,
    clock: Clock,
    options: BookingServiceOptions = {},
  ) {
    const support = new BookingSupport(prisma, repo, patients, events, clock, options);
    this.intake = new BookingIntake(support);
    this.transitions = new BookingTransitions(support);
    this.queries = new BookingQueries(support);
    this.reactions = new BookingReactions(support);
  }

  book(
    actor: Actor,
    input: BookInput,
    ctx: CallContext = {},
  ): Promise<{ appointment: AppointmentRow; replayed: boolean }> {
    return this.intake.book(actor, input, ctx);
  }

  cancel(
    actor: Actor,
    id: string,
    reason: string,
    ctx: CallContext = {},
    expectedVersion?: number,
  ): Promise<AppointmentRow> {
    return this.transitions.cancel(actor, id, reason, ctx, expectedVersion);
  }

  reschedule(
    actor: Actor,
    id: string,
    newSlotId: string,
    reason: string,
    ctx: CallContext = {},
    expectedVersion?: number,
  ): Promise<{ appointment: AppointmentRow; previousSlotId: string }> {
    return this.transitions.reschedule(actor, id, newSlotId, reason, ctx, expectedVersion);
  }

  markArrived(
    actor: Actor,
    id: string,
    ctx: CallContext = {},
    expectedVersion?: number,
  ): Promise<AppointmentRow> {
    return this.transitions.markArrived(actor, id, ctx, expectedVersion);
  }

  markFulfilled(
    actor: Actor,
    id: string,
    ctx: CallContext = {},
    expectedVersion?: number,
  ): Promise<AppointmentRow> {
    return this.transitions.markFulfilled(actor, id, ctx, expectedVersion);
  }

  markNoShow(
    actor: Actor,
    id: string,
    ctx: CallContext = {},
    expectedVersion?: number,
  ): Promise<AppointmentRow> {
    return this.transitions.markNoShow(actor, id, ctx, expectedVersion);
  }

  get(actor: Actor, id: string, ctx: CallContext = {}): Promise<AppointmentRow> {
    return this.queries.get(actor, id, ctx);
  }

  getVersion(
    actor: Actor,
    id: string,
    version: number,
    ctx: CallContext = {},
  ): Promise<AppointmentVersionRow> {
    return this.queries.getVersion(actor, id, version, ctx);
  }

  listVersions(
    actor: Actor,
    id: string,
    page: { pageSize?: number; pageToken?: string },
    ctx: CallContext = {},
  ): Promise<{ versions: AppointmentVersionRow[]; nextPageToken: string; total: number }> {
    return this.queries.listVersions(actor, id, page, ctx);
  }

  listForPatient(
    actor: Actor,
    input: { nhsNumber: string; period: Period; pageSize?: number; pageToken?: string },
    ctx: CallContext = {},
  ): Promise<{ appointments: AppointmentRow[]; nextPageToken: string }> {
    return this.queries.listForPatient(actor, input, ctx);
  }

  dayList(
    actor: Actor,
    input: {
      odsCode?: string;
      date: string;
      includeCancelled: boolean;
      pageSize?: number;
      pageToken?: string;
    },
  ): Promise<{ appointments: AppointmentRow[]; nextPageToken: string }> {
    return this.queries.dayList(actor, input);
  }

  /** See BookingReactions.onPatientDeceased. */
  onPatientDeceased(
    tx: Prisma.TransactionClient,
    nhsNumber: string,
    deceasedAt: Date | undefined,
    correlationId?: string,
  ): Promise<AppointmentRow[]> {
    return this.reactions.onPatientDeceased(tx, nhsNumber, deceasedAt, correlationId);
  }

  /** See BookingReactions.onPatientMerged. */
  onPatientMerged(
    tx: Prisma.TransactionClient,
    supersededNhsNumber: string,
    survivorNhsNumber: string,
  ): Promise<number> {
    return this.reactions.onPatientMerged(tx, supersededNhsNumber, survivorNhsNumber);
  }
}
