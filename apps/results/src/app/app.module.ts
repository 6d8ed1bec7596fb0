import type { Type } from '@nestjs/common';
import {
  CachingPatientDirectory,
  PATIENT_DIRECTORY,
  type PatientDirectory,
  platformRootModule,
  type PlatformModuleOverrides,
} from '@trellis/identity-client';
import { CLOCK, CONFIG, type Clock } from '@trellis/service-kit';

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

const REGISTRATION_DIRECTORY = Symbol('results.registration-directory');

/** The root module class the platform bootstrap takes; tests pass their seams as overrides. */
export function createResultsModule(overrides: PlatformModuleOverrides = {}): Type<unknown> {
  return platformRootModule({
    service: 'results',
    prisma: [PRISMA, PrismaClient],
    scopeTable: RESULTS_SCOPES,
    directoryErrors: patientDirectoryErrors,
    // identity over gRPC, uncached: who the patient's registered GP practice is (visibility)
    directoryToken: REGISTRATION_DIRECTORY,
    eventSink: [RESULT_EVENT_SINK, OutboxResultEventSink],
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
