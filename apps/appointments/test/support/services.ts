import { IdentityPatientDirectory } from '@trellis/identity-client';
import { createOutbox } from '@trellis/events';

import { patientDirectoryErrors } from '../../src/app/domain/appointments.errors';
import { BookingRepository } from '../../src/app/booking/booking.repository';
import { BookingService } from '../../src/app/booking/booking.service';
import { SchedulingRepository } from '../../src/app/scheduling/scheduling.repository';
import { SchedulingService } from '../../src/app/scheduling/scheduling.service';
import { OutboxAppointmentEventSink } from '../../src/events/outbox-appointment-event-sink';
import type { TestClock, TestDatabase } from './harness';

export interface Services {
  scheduling: SchedulingService;
  booking: BookingService;
  identity: IdentityPatientDirectory;
}

/** The real services wired as the app wires them: Prisma on the test schema, outbox, identity over gRPC. */
export function createServices(
  db: TestDatabase,
  clock: TestClock,
  identityAddress: string,
): Services {
  const identity = new IdentityPatientDirectory({
    address: identityAddress,
    deadlineMs: 2000,
    errors: patientDirectoryErrors,
  });
  const sink = new OutboxAppointmentEventSink(createOutbox({ source: '/trellis/appointments' }));
  return {
    scheduling: new SchedulingService(new SchedulingRepository(db.prisma), clock),
    booking: new BookingService(new BookingRepository(db.prisma), identity, sink, clock),
    identity,
  };
}
