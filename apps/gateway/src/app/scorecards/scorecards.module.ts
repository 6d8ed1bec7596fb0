import { Inject, Module, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { SERVICE_IDENTITY, type ServiceIdentity } from '@trellis/auth';
import { CONFIG } from '@trellis/platform';

import { type GatewayEnv } from '../config/gateway.config';
import { SCORECARDS_CLIENT, ScorecardsClient } from './scorecards.client';
import { ScorecardsFhirController } from './scorecards.fhir.controller';

/**
 * Compliance scorecards at the FHIR facade (MeasureReport, Measure), read from the conformance
 * service. Imported before the FHIR module, whose catch-all route would otherwise answer first.
 */
@Module({
  controllers: [ScorecardsFhirController],
  providers: [
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
