import type { PatientDirectory } from '@trellis/identity-client';

import type { Clock } from '../domain/ports';
import type { AppointmentEventSink } from './appointment-events';
import { BookingIntake } from './booking.intake';
import { BookingQueries } from './booking.queries';
import { BookingReactions } from './booking.reactions';
import type { BookingRepository } from './booking.repository';
import { type BookingServiceOptions, BookingSupport } from './booking.support';
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
  readonly book: BookingIntake['book'];
  readonly cancel: BookingTransitions['cancel'];
  readonly reschedule: BookingTransitions['reschedule'];
  readonly markArrived: BookingTransitions['markArrived'];
  readonly markFulfilled: BookingTransitions['markFulfilled'];
  readonly markNoShow: BookingTransitions['markNoShow'];
  readonly get: BookingQueries['get'];
  readonly getVersion: BookingQueries['getVersion'];
  readonly listVersions: BookingQueries['listVersions'];
  readonly listForPatient: BookingQueries['listForPatient'];
  readonly dayList: BookingQueries['dayList'];
  readonly onPatientDeceased: BookingReactions['onPatientDeceased'];
  readonly onPatientMerged: BookingReactions['onPatientMerged'];

  constructor(
    repo: BookingRepository,
    patients: PatientDirectory,
    events: AppointmentEventSink,
    clock: Clock,
    options: BookingServiceOptions = {},
  ) {
    const support = new BookingSupport(repo, patients, events, clock, options);
    const intake = new BookingIntake(support);
    const transitions = new BookingTransitions(support);
    const queries = new BookingQueries(support);
    const reactions = new BookingReactions(support);
    this.book = intake.book.bind(intake);
    this.cancel = transitions.cancel.bind(transitions);
    this.reschedule = transitions.reschedule.bind(transitions);
    this.markArrived = transitions.markArrived.bind(transitions);
    this.markFulfilled = transitions.markFulfilled.bind(transitions);
    this.markNoShow = transitions.markNoShow.bind(transitions);
    this.get = queries.get.bind(queries);
    this.getVersion = queries.getVersion.bind(queries);
    this.listVersions = queries.listVersions.bind(queries);
    this.listForPatient = queries.listForPatient.bind(queries);
    this.dayList = queries.dayList.bind(queries);
    this.onPatientDeceased = reactions.onPatientDeceased.bind(reactions);
    this.onPatientMerged = reactions.onPatientMerged.bind(reactions);
  }
}
