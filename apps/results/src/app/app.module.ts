import { platformModule, type PlatformParts } from '@trellis/identity-client';

import { OutboxResultEventSink } from '../events/outbox-result-event-sink';
import { ResultsMessaging } from '../events/results-messaging';
import { RESULTS_SCOPES } from './access/scopes';
import { type ResultsConfig } from './config';
import { patientDirectoryErrors } from './domain/results.errors';
import { ReportExportGrpcController } from './grpc/report-export.grpc.controller';
import { ReportGrpcController } from './grpc/report.grpc.controller';
import { PRISMA, PrismaClient } from './prisma';
import { type ResultEventSink } from './reports/report-types';
import { ReportsRepository } from './reports/reports.repository';
import { ReportsService } from './reports/reports.service';

/** The root module class the platform bootstrap takes; tests pass their seams as overrides. */
export const createResultsModule = platformModule({
  service: 'results',
  prisma: [PRISMA, PrismaClient],
  scopeTable: RESULTS_SCOPES,
  directoryErrors: patientDirectoryErrors,
  // identity's active answers cached briefly (patient checks of report bursts)
  directoryCache: { ttlMs: (config: ResultsConfig) => config.IDENTITY_CACHE_TTL_MS },
  eventSink: OutboxResultEventSink,
  controllers: [ReportGrpcController, ReportExportGrpcController],
  services: [
    [
      ReportsService,
      // uncached: who the patient's registered GP practice is (visibility)
      (parts: PlatformParts<PrismaClient, ResultEventSink, ResultsConfig>) =>
        new ReportsService(
          new ReportsRepository(parts.prisma),
          parts.patients,
          parts.sink,
          parts.clock,
          parts.uncachedPatients,
        ),
    ],
  ],
  providers: [ResultsMessaging],
});
