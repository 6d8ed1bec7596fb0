import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { serviceInfraModule, type Outbox } from '@trellis/events';
import {
  CachingPatientDirectory,
  PATIENT_DIRECTORY,
  type PatientDirectory,
  platformModule,
  type PlatformModuleOverrides,
  rootModuleOf,
} from '@trellis/identity-client';
import { CLOCK, CONFIG, type Clock } from '@trellis/platform';

import { OutboxResultEventSink } from '../events/outbox-result-event-sink';
import { ResultsMessaging } from '../events/results-messaging';
import { RESULTS_SCOPES } from './access/scopes';
import { type ResultsConfig } from './config';
import { patientDirectoryErrors } from './domain/results.errors';
import { ReportExportGrpcController } from './grpc/report-export.grpc.controller';
import { ReportGrpcController } from './grpc/report.grpc.controller';
import { PRISMA, PrismaClient } from './prisma';
import { RESULT_EVENT_SINK, type ResultEventSink } from './reports/report-types';
import { ReportsRepository } from './reports/reports.repository';
import { ReportsService } from './reports/reports.service';

/** The outbox writer's token (PRISMA is the Prisma client's). */
export const OUTBOX = Symbol('results.outbox');

/** Seams for integration tests; production passes nothing. */
export type ResultsModuleOverrides = PlatformModuleOverrides;

const REGISTRATION_DIRECTORY = Symbol('results.registration-directory');

@Module({})
export class ResultsModule {
  static register(overrides: ResultsModuleOverrides = {}): DynamicModule {
    return platformModule({
      service: 'results',
      module: ResultsModule,
      infra: serviceInfraModule({
        service: 'results',
        prisma: [PRISMA, PrismaClient],
        outbox: OUTBOX,
      }),
      prisma: PRISMA,
      outbox: OUTBOX,
      scopeTable: RESULTS_SCOPES,
      directoryErrors: patientDirectoryErrors,
      // identity over gRPC, uncached: who the patient's registered GP practice is (visibility)
      directoryToken: REGISTRATION_DIRECTORY,
      controllers: [ReportGrpcController, ReportExportGrpcController],
      providers: [
        // the same, with active answers cached briefly (patient checks of report bursts)
        overrides.patientDirectory
          ? { provide: PATIENT_DIRECTORY, useValue: overrides.patientDirectory }
          : {
              provide: PATIENT_DIRECTORY,
              inject: [CONFIG, REGISTRATION_DIRECTORY],
              useFactory: (config: ResultsConfig, directory: PatientDirectory) =>
                new CachingPatientDirectory(directory, config.IDENTITY_CACHE_TTL_MS),
            },
        {
          provide: RESULT_EVENT_SINK,
          inject: [OUTBOX],
          useFactory: (outbox: Outbox) => new OutboxResultEventSink(outbox),
        },
        {
          provide: ReportsService,
          inject: [PRISMA, PATIENT_DIRECTORY, RESULT_EVENT_SINK, CLOCK, REGISTRATION_DIRECTORY],
          useFactory: (
            prisma: PrismaClient,
            patients: PatientDirectory,
            sink: ResultEventSink,
            clock: Clock,
            registrations: PatientDirectory,
          ) =>
            new ReportsService(new ReportsRepository(prisma), patients, sink, clock, registrations),
        },
        ResultsMessaging,
      ],
      overrides,
    });
  }
}

/** The root module class the platform bootstrap takes (it wants a class, not a DynamicModule). */
export function createResultsModule(overrides: ResultsModuleOverrides = {}): Type<unknown> {
  return rootModuleOf(ResultsModule.register(overrides));
}
