import { serviceModule } from '@trellis/auth';

import { ConformanceMessaging } from '../events/conformance-messaging';
import { type ConformanceConfig } from './config';
import { PRISMA, PrismaClient } from './prisma';
import { ComplianceRepository } from './policy/compliance.repository';
import { ComplianceService } from './policy/compliance.service';
import { RegionChangesService } from './policy/region-changes.service';
import { ScorecardsGrpcController } from './scorecards/scorecards.grpc.controller';
import { ScorecardsRepository } from './scorecards/scorecards.repository';
import { CONFORMANCE_SCOPES } from './scorecards/scorecards.scopes';
import { ScorecardsService } from './scorecards/scorecards.service';
import { SystemScorecardsService } from './scorecards/system-scorecards.service';

/** The root module class the platform bootstrap takes; tests pass their seams as overrides. */
export const createConformanceModule = serviceModule({
  service: 'conformance',
  // PostgreSQL (schema `conformance`: counters, inbox, outbox)
  prisma: [PRISMA, PrismaClient],
  scopeTable: CONFORMANCE_SCOPES,
  statusTopic: (config: ConformanceConfig) => config.CONFORMANCE_SYSTEM_TOPIC,
  controllers: [ScorecardsGrpcController],
  providers: [
    ScorecardsRepository,
    ScorecardsService,
    ComplianceRepository,
    ComplianceService,
    SystemScorecardsService,
    RegionChangesService,
    ConformanceMessaging,
  ],
});

export const ConformanceModule = createConformanceModule();
