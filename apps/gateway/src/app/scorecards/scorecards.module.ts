import { Inject, Module, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { SERVICE_IDENTITY, type ServiceIdentity } from '@trellis/auth';
import { CONFIG } from '@trellis/service-kit';

import { type GatewayEnv } from '../config/gateway.config';
import { ComplianceChangesAdminController } from './compliance-changes.admin.controller';
import { EnforcementHistoryAdminController } from './enforcement-history.admin.controller';
import { EnforcementHistoryRepository } from './enforcement-history.repository';
import { SCORECARDS_CLIENT, ScorecardsClient } from './scorecards.client';
import { SystemScorecardsAdminController } from './system-scorecards.admin.controller';

/**
 * The conformance service's client for the scorecards at the FHIR facade (MeasureReport, Measure:
 * ScorecardsFhirController, registered by the FHIR module among its resource routes, before its
 * catch-all) and the JSON routes: a version's compliance change log, per-system scorecards, and a
 * region's enforcement history.
 */
@Module({
  controllers: [
    ComplianceChangesAdminController,
    SystemScorecardsAdminController,
    EnforcementHistoryAdminController,
  ],
  exports: [SCORECARDS_CLIENT],
  providers: [
    EnforcementHistoryRepository,
    {
      provide: SCORECARDS_CLIENT,
      inject: [CONFIG, SERVICE_IDENTITY],
      useFactory: (env: GatewayEnv, identity: ServiceIdentity | null) =>
        env.CONFORMANCE_GRPC_ADDR
          ? new ScorecardsClient(
              env.CONFORMANCE_GRPC_ADDR,
              env.CONFORMANCE_DEADLINE_MS,
              identity ?? undefined,
            )
          : null,
    },
  ],
})
export class ScorecardsModule implements OnApplicationShutdown {
  constructor(
    @Optional() @Inject(SCORECARDS_CLIENT) private readonly client: ScorecardsClient | null,
  ) {}

  onApplicationShutdown(): void {
    this.client?.close();
  }
}
