import { platformModule, type PlatformParts } from '@trellis/identity-client';

import { AppointmentsMessaging } from '../events/appointments-messaging';
import { OutboxAppointmentEventSink } from '../events/outbox-appointment-event-sink';
import { APPOINTMENTS_SCOPES } from './access/scopes';
import { type AppointmentEventSink } from './booking/appointment-events';
import { BookingRepository } from './booking/booking.repository';
import { BookingService } from './booking/booking.service';
import { type AppointmentsConfig } from './config';
import { patientDirectoryErrors } from './domain/appointments.errors';
import { classifyOdsCode } from './domain/organisation';
import { AppointmentExportGrpcController } from './grpc/appointment-export.grpc.controller';
import { AppointmentGrpcController } from './grpc/appointment.grpc.controller';
import { ScheduleGrpcController } from './grpc/schedule.grpc.controller';
import { PRISMA, PrismaClient } from './prisma';
import { SchedulingRepository } from './scheduling/scheduling.repository';
import { SchedulingService } from './scheduling/scheduling.service';

/** The root module class the platform bootstrap takes; tests pass their seams as overrides. */
export const createAppointmentsModule = platformModule({
  service: 'appointments',
  prisma: [PRISMA, PrismaClient],
  scopeTable: APPOINTMENTS_SCOPES,
  directoryErrors: patientDirectoryErrors,
  eventSink: OutboxAppointmentEventSink,
  controllers: [ScheduleGrpcController, AppointmentGrpcController, AppointmentExportGrpcController],
  services: [
    [
      SchedulingService,
      ({ prisma, clock }) => new SchedulingService(new SchedulingRepository(prisma), clock),
    ],
    [
      BookingService,
      ({
        prisma,
        patients,
        sink,
        clock,
        config,
      }: PlatformParts<PrismaClient, AppointmentEventSink, AppointmentsConfig>) =>
        new BookingService(new BookingRepository(prisma), patients, sink, clock, {
          organisationTypeOf: (ods) => classifyOdsCode(ods, config.ORGANISATION_TYPES),
        }),
    ],
  ],
  providers: [AppointmentsMessaging],
});
