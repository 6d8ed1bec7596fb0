import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { serviceAuthOptions, TrellisAuthModule, type TrellisAuthOptions } from '@trellis/auth';
import { serviceInfraModule } from '@trellis/events';
import { CONFIG } from '@trellis/service-kit';

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

/** Seams for integration tests; production passes nothing. */
export interface ConformanceModuleOverrides {
  auth?: Partial<Pick<TrellisAuthOptions, 'keySet' | 'statusFeed' | 'issuer' | 'audience'>>;
}

@Module({})
export class ConformanceAppModule {
  static register(overrides: ConformanceModuleOverrides = {}): DynamicModule {
    return {
      module: ConformanceAppModule,
      imports: [
        // PostgreSQL (schema `conformance`: counters, inbox, outbox)
        serviceInfraModule({ service: 'conformance', prisma: [PRISMA, PrismaClient] }),
        TrellisAuthModule.forRootAsync({
          inject: [CONFIG],
          useFactory: (config: ConformanceConfig): TrellisAuthOptions =>
            serviceAuthOptions({
              service: 'conformance',
              config,
              scopeTable: CONFORMANCE_SCOPES,
              overrides: overrides.auth,
              statusTopic: config.CONFORMANCE_SYSTEM_TOPIC,
            }),
        }),
      ],
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
    };
  }
}

/** The root module class the platform bootstrap takes (it wants a class, not a DynamicModule). */
export function createConformanceModule(overrides: ConformanceModuleOverrides = {}): Type<unknown> {
  @Module({ imports: [ConformanceAppModule.register(overrides)] })
  class ConformanceRootModule {}
  return ConformanceRootModule;
}

export const ConformanceModule = createConformanceModule();
