import type { Type } from '@nestjs/common';
import {
  PATIENT_DIRECTORY,
  type PatientDirectory,
  platformRootModule,
  type PlatformModuleOverrides,
} from '@trellis/identity-client';
import { CLOCK, CONFIG, type Clock } from '@trellis/service-kit';

import { AppointmentsMessaging } from '../events/appointments-messaging';
import { OutboxAppointmentEventSink } from '../events/outbox-appointment-event-sink';
import { APPOINTMENTS_SCOPES } from './access/scopes';
import { APPOINTMENT_EVENT_SINK, type AppointmentEventSink } from './booking/appointment-events';
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
export function createAppointmentsModule(overrides: PlatformModuleOverrides = {}): Type<unknown> {
  return platformRootModule({
    service: 'appointments',
    prisma: [PRISMA, PrismaClient],
    scopeTable: APPOINTMENTS_SCOPES,
    directoryErrors: patientDirectoryErrors,
    eventSink: [APPOINTMENT_EVENT_SINK, OutboxAppointmentEventSink],
    controllers: [
      ScheduleGrpcController,
      AppointmentGrpcController,
      AppointmentExportGrpcController,
    ],
    providers: [
      {
        provide: SchedulingService,
        inject: [PRISMA, CLOCK],
        useFactory: (prisma: PrismaClient, clock: Clock) =>
          new SchedulingService(new SchedulingRepository(prisma), clock),
      },
      {
        provide: BookingService,
        inject: [PRISMA, PATIENT_DIRECTORY, APPOINTMENT_EVENT_SINK, CLOCK, CONFIG],
        useFactory: (
          prisma: PrismaClient,
          patients: PatientDirectory,
          sink: AppointmentEventSink,
          clock: Clock,
          config: AppointmentsConfig,
        ) =>
          new BookingService(new BookingRepository(prisma), patients, sink, clock, {
            organisationTypeOf: (ods) => classifyOdsCode(ods, config.ORGANISATION_TYPES),
          }),
      },
      AppointmentsMessaging,
    ],
    overrides,
  });
}
