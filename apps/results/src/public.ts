// What tools outside the service (benchmarks under tools/bench) may use of results: its one public
// entry point, so nothing reaches into apps/results/src by a relative path.

export { createResultsModule } from './app/app.module';
export { resultsConfigSchema } from './app/config';
export { LOINC_SYSTEM } from './app/domain/codes';
export { patientDirectoryErrors } from './app/domain/results.errors';
export { submissionFromProto } from './app/grpc/mappers';
export { PrismaClient } from './app/prisma';
export { ReportsRepository } from './app/reports/reports.repository';
export { ReportsService } from './app/reports/reports.service';
export { OutboxResultEventSink } from './events/outbox-result-event-sink';
