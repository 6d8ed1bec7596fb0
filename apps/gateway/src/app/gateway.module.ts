import { Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  createSystemStatusFeed,
  serviceIdentityFromConfig,
  TrellisAuthModule,
  type AccessAuditor,
} from '@trellis/auth';
import { CONFIG } from '@trellis/service-kit';
import { createLocalJWKSet } from 'jose';

import { type PrismaClient } from '../generated/prisma/client';
import { GATEWAY_AUDITOR, GatewayEventsModule } from './audit/gateway-events.module';
import { GATEWAY_CONFIG, type GatewayConfig, type GatewayEnv } from './config/gateway.config';
import { GatewayCoreModule } from './database/gateway-core.module';
import { GatewayPrismaService } from './database/gateway-prisma.service';
import { FhirModule } from './fhir/fhir.module';
import { FrontDoorModule } from './front-door/front-door.module';
import { GatewayHealthChecks } from './database/gateway-health';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { CallLifecycleGate } from './certification/call-gate';
import { CertificationModule } from './certification/certification.module';
import { ComplianceModule } from './products/compliance.module';
import { RegionsModule } from './regions/regions.module';
import { gatewayStatusFallback } from './systems/system-status-fallback';
import { SystemStatusRepository } from './systems/system-status.repository';
import { SystemsModule } from './systems/systems.module';
import { GATEWAY_SCOPES } from './gateway.scopes';
import { type SigningKeyRing } from './tokens/signing-keys';
import { TokensModule } from './tokens/tokens.module';
import { SIGNING_KEY_RING } from './tokens/tokens.service';

/**
 * The gateway's access-control half: registry (admin gRPC), token endpoint + discovery, rate
 * limits, audit/outbox. The gateway verifies its own tokens with its key ring (no JWKS round trip)
 * and follows the suspension topic like every other service — falling back to its registry table
 * while the feed is down or behind.
 */
@Module({
  imports: [
    GatewayCoreModule,
    GatewayEventsModule,
    TokensModule,
    TrellisAuthModule.forRootAsync({
      imports: [TokensModule],
      inject: [
        CONFIG,
        GATEWAY_CONFIG,
        SIGNING_KEY_RING,
        GATEWAY_AUDITOR,
        GatewayPrismaService,
        ModuleRef,
      ],
      useFactory: (
        env: GatewayEnv,
        config: GatewayConfig,
        ring: SigningKeyRing,
        auditor: AccessAuditor,
        prisma: PrismaClient,
        modules: ModuleRef,
      ) => {
        // looked up once, at the first call (a container lookup per call was 0.3 % of a read)
        let gate: CallLifecycleGate | undefined;
        return {
          service: 'gateway',
          // signs the gateway's calls to the platforms; the gateway's own doors take local systems
          serviceIdentity: serviceIdentityFromConfig('gateway', env),
          scopeTable: GATEWAY_SCOPES,
          issuer: config.publicUrl,
          audience: config.audience,
          keySet: createLocalJWKSet(ring.jwks()),
          statusFeed: createSystemStatusFeed({
            service: 'gateway',
            connection: config.kafka,
            topic: config.systemTopic,
          }),
          // the registry table is the feed's source: suspensions hold while Kafka is unreachable
          statusFallback: gatewayStatusFallback(
            new SystemStatusRepository(prisma),
            config.systemTopic,
          ),
          auditor,
          // issue 18: a system not yet live reaches the platforms only within a conformance session
          // (resolved at the first call: the gate's module depends on this global one)
          admit: (caller, call) => {
            gate ??= modules.get<CallLifecycleGate, CallLifecycleGate>(CallLifecycleGate, {
              strict: false,
            });
            return gate.admit(caller, call);
          },
        };
      },
    }),
    SystemsModule,
    RegionsModule,
    RateLimitModule,
    ComplianceModule,
    CertificationModule, // before FhirModule too
    FhirModule,
    FrontDoorModule,
  ],
  providers: [GatewayHealthChecks],
})
export class GatewayModule {}
