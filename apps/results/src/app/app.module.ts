import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import {
  serviceAuthOptions,
  serviceIdentityFromConfig,
  TrellisAuthModule,
  type TrellisAuthOptions,
} from '@trellis/auth';
import type { Outbox } from '@trellis/events';
import { CONFIG, ShutdownHooks, ShutdownOrder } from '@trellis/platform';

import { OutboxResultEventSink } from '../events/outbox-result-event-sink';
import { ResultsMessaging } from '../events/results-messaging';
import { RESULTS_SCOPES } from './access/scopes';
import { type ResultsConfig } from './config';
import { CLOCK, systemClock, type Clock } from './domain/ports';
import { ReportExportGrpcController } from './grpc/report-export.grpc.controller';
import { ReportGrpcController } from './grpc/report.grpc.controller';
import { OUTBOX, ResultsInfraModule } from './infra.module';
import {
  CachingPatientDirectory,
  IdentityPatientDirectory,
  PATIENT_DIRECTORY,
  type PatientDirectory,
} from '@trellis/identity-client';
import { patientDirectoryErrors } from './domain/results.errors';
import { PRISMA, type PrismaClient } from './prisma';
import { RESULT_EVENT_SINK, type ResultEventSink } from './reports/report-types';
import { ReportsRepository } from './reports/reports.repository';
import { ReportsService } from './reports/reports.service';

/** Seams for integration tests; production passes nothing. */
export interface ResultsModuleOverrides {
  auth?: Partial<Pick<TrellisAuthOptions, 'keySet' | 'statusFeed' | 'issuer' | 'audience'>>;
  patientDirectory?: PatientDirectory;
  clock?: Clock;
}

const REGISTRATION_DIRECTORY = Symbol('results.registration-directory');

@Module({})
export class ResultsModule {
  static register(overrides: ResultsModuleOverrides = {}): DynamicModule {
    const providers: Provider[] = [
      { provide: CLOCK, useValue: overrides.clock ?? systemClock },
      // identity over gRPC, uncached: who the patient's registered GP practice is (visibility)
      overrides.patientDirectory
        ? { provide: REGISTRATION_DIRECTORY, useValue: overrides.patientDirectory }
        : {
            provide: REGISTRATION_DIRECTORY,
            inject: [CONFIG, ShutdownHooks],
            useFactory: (config: ResultsConfig, hooks: ShutdownHooks) => {
              const directory = new IdentityPatientDirectory({
                address: config.IDENTITY_GRPC_ADDR,
                deadlineMs: config.IDENTITY_DEADLINE_MS,
                errors: patientDirectoryErrors,
                serviceIdentity: serviceIdentityFromConfig('results', config),
              });
              hooks.register('identity-client', () => directory.close(), ShutdownOrder.MESSAGING);
              return directory;
            },
          },
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
          new ReportsService(prisma, new ReportsRepository(), patients, sink, clock, registrations),
      },
      ResultsMessaging,
    ];
    return {
      module: ResultsModule,
      imports: [
        ResultsInfraModule.register(),
        TrellisAuthModule.forRootAsync({
          inject: [CONFIG, PRISMA, OUTBOX],
          useFactory: (
            config: ResultsConfig,
            prisma: PrismaClient,
            outbox: Outbox,
          ): TrellisAuthOptions =>
            serviceAuthOptions({
              service: 'results',
              config,
              scopeTable: RESULTS_SCOPES,
              overrides: overrides.auth,
              requireServiceIdentity: true,
              audit: { db: prisma, outbox },
            }),
        }),
      ],
      controllers: [ReportGrpcController, ReportExportGrpcController],
      providers,
    };
  }
}

/** The root module class the platform bootstrap takes (it wants a class, not a DynamicModule). */
export function createResultsModule(overrides: ResultsModuleOverrides = {}): Type<unknown> {
  @Module({ imports: [ResultsModule.register(overrides)] })
  class ResultsRootModule {}
  return ResultsRootModule;
}
