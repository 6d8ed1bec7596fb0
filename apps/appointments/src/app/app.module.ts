import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import {
  serviceAuthOptions,
  serviceIdentityFromConfig,
  TrellisAuthModule,
  type TrellisAuthOptions,
} from '@trellis/auth';
import type { Outbox } from '@trellis/events';
import { CONFIG, ShutdownHooks, ShutdownOrder } from '@trellis/platform';

import { AppointmentsMessaging } from '../events/appointments-messaging';
import { OutboxAppointmentEventSink } from '../events/outbox-appointment-event-sink';
import { APPOINTMENTS_SCOPES } from './access/scopes';
import { APPOINTMENT_EVENT_SINK, type AppointmentEventSink } from './booking/appointment-events';
import { BookingRepository } from './booking/booking.repository';
import { BookingService } from './booking/booking.service';
import { type AppointmentsConfig } from './config';
import { classifyOdsCode } from './domain/organisation';
import { CLOCK, systemClock, type Clock } from './domain/ports';
import { AppointmentExportGrpcController } from './grpc/appointment-export.grpc.controller';
import { AppointmentGrpcController } from './grpc/appointment.grpc.controller';
import { ScheduleGrpcController } from './grpc/schedule.grpc.controller';
import { AppointmentsInfraModule, OUTBOX } from './infra.module';
import {
  IdentityPatientDirectory,
  PATIENT_DIRECTORY,
  type PatientDirectory,
} from '@trellis/identity-client';
import { patientDirectoryErrors } from './domain/appointments.errors';
import { PRISMA, type PrismaClient } from './prisma';
import { SchedulingRepository } from './scheduling/scheduling.repository';
import { SchedulingService } from './scheduling/scheduling.service';

/** Seams for integration tests; production passes nothing. */
export interface AppointmentsModuleOverrides {
  /** e.g. a test authority's keySet and a StaticSystemStatusFeed instead of JWKS + Kafka. */
  auth?: Partial<Pick<TrellisAuthOptions, 'keySet' | 'statusFeed' | 'issuer' | 'audience'>>;
  patientDirectory?: PatientDirectory;
  clock?: Clock;
}

@Module({})
export class AppointmentsModule {
  static register(overrides: AppointmentsModuleOverrides = {}): DynamicModule {
    const providers: Provider[] = [
      { provide: CLOCK, useValue: overrides.clock ?? systemClock },
      overrides.patientDirectory
        ? { provide: PATIENT_DIRECTORY, useValue: overrides.patientDirectory }
        : {
            provide: PATIENT_DIRECTORY,
            inject: [CONFIG, ShutdownHooks],
            useFactory: (config: AppointmentsConfig, hooks: ShutdownHooks) => {
              const directory = new IdentityPatientDirectory({
                address: config.IDENTITY_GRPC_ADDR,
                deadlineMs: config.IDENTITY_DEADLINE_MS,
                errors: patientDirectoryErrors,
                serviceIdentity: serviceIdentityFromConfig('appointments', config),
              });
              hooks.register('identity-client', () => directory.close(), ShutdownOrder.MESSAGING);
              return directory;
            },
          },
      {
        provide: APPOINTMENT_EVENT_SINK,
        inject: [OUTBOX],
        useFactory: (outbox: Outbox) => new OutboxAppointmentEventSink(outbox),
      },
      {
        provide: SchedulingService,
        inject: [PRISMA, CLOCK],
        useFactory: (prisma: PrismaClient, clock: Clock) =>
          new SchedulingService(prisma, new SchedulingRepository(), clock),
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
          new BookingService(prisma, new BookingRepository(), patients, sink, clock, {
            organisationTypeOf: (ods) => classifyOdsCode(ods, config.ORGANISATION_TYPES),
          }),
      },
      AppointmentsMessaging,
    ];
    return {
      module: AppointmentsModule,
      imports: [
        AppointmentsInfraModule.register(),
        TrellisAuthModule.forRootAsync({
          inject: [CONFIG, PRISMA, OUTBOX],
          useFactory: (
            config: AppointmentsConfig,
            prisma: PrismaClient,
            outbox: Outbox,
          ): TrellisAuthOptions =>
            serviceAuthOptions({
              service: 'appointments',
              config,
              scopeTable: APPOINTMENTS_SCOPES,
              overrides: overrides.auth,
              requireServiceIdentity: true,
              audit: { db: prisma, outbox },
            }),
        }),
      ],
      controllers: [
        ScheduleGrpcController,
        AppointmentGrpcController,
        AppointmentExportGrpcController,
      ],
      providers,
    };
  }
}

/** The root module class the platform bootstrap takes (it wants a class, not a DynamicModule). */
export function createAppointmentsModule(
  overrides: AppointmentsModuleOverrides = {},
): Type<unknown> {
  @Module({ imports: [AppointmentsModule.register(overrides)] })
  class AppointmentsRootModule {}
  return AppointmentsRootModule;
}
