import type { PatientDirectory } from '@trellis/identity-client';
import { serviceEntry } from '@trellis/service-kit';

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
export class BookingService extends serviceEntry(
  (
    repo: BookingRepository,
    patients: PatientDirectory,
    events: AppointmentEventSink,
    clock: Clock,
    options: BookingServiceOptions = {},
  ) => {
    const support = new BookingSupport(repo, patients, events, clock, options);
    return {
      intake: new BookingIntake(support),
      transitions: new BookingTransitions(support),
      queries: new BookingQueries(support),
      reactions: new BookingReactions(support),
    };
  },
  {
    intake: ['book'],
    transitions: ['cancel', 'reschedule', 'markArrived', 'markFulfilled', 'markNoShow'],
    queries: ['get', 'getVersion', 'listVersions', 'listForPatient', 'dayList'],
    reactions: ['onPatientDeceased', 'onPatientMerged'],
  },
) {}
