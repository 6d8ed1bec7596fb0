import {
  Inject,
  Module,
  type MiddlewareConsumer,
  type NestModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SERVICE_IDENTITY, type GatewayVouchSigner, type ServiceIdentity } from '@trellis/auth';
import { loadFhirDefinitions } from '@trellis/fhir';
import { CONFIG } from '@trellis/service-kit';

import { GATEWAY_CONFIG, type GatewayConfig, type GatewayEnv } from '../config/gateway.config';
import { CertificationModule } from '../certification/certification.module';
import { ScorecardsModule } from '../scorecards/scorecards.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { ConformanceRecorder } from './conformance';
import { FhirFallbackController } from './fallback.controller';
import { FHIR_CONFIG, fhirConfigFrom, type FhirConfig } from './fhir.config';
import { attachmentBodyBytes, fhirBodyMiddleware, isAttachmentUpload } from './fhir.http';
import { FHIR_PREFIX } from './fhir.registry';
import { RESOURCE_CONTROLLERS } from './fhir.routes';
import { PLATFORM_CLIENTS } from './fhir.tokens';
import { ExportJobs } from './export/export.jobs';
import { FastPatientRoutes } from './fast-read';
import { ExportJobsRepository } from './export/export-jobs.repository';
import { ExportWorker } from './export/export.worker';
import { MetadataFhirController } from './metadata.controller';
import { GATEWAY_VOUCH_SIGNER, TokensModule } from '../tokens/tokens.module';
import { PlatformClients } from './platform-clients';

/**
 * The FHIR R4 REST facade under /fhir: validates every incoming resource at the chokepoint, maps
 * FHIR ⇄ gRPC, forwards the caller's token + trace context to the platforms, answers errors as
 * OperationOutcome, and describes itself (metadata, OperationDefinitions, OpenAPI) from its routes.
 */
@Module({
  // the scorecards' client and the conformance kit (their FHIR routes are routes of this module)
  imports: [ScorecardsModule, CertificationModule, SubscriptionsModule, TokensModule],
  // The fallback last: Express matches routes in registration order.
  controllers: [MetadataFhirController, ...RESOURCE_CONTROLLERS, FhirFallbackController],
  providers: [
    {
      provide: FHIR_CONFIG,
      useFactory: (env: GatewayEnv, gw: GatewayConfig): FhirConfig => {
        loadFhirDefinitions(); // R4 StructureDefinitions indexed once, at boot
        return fhirConfigFrom(env, gw.publicUrl);
      },
      inject: [CONFIG, GATEWAY_CONFIG],
    },
    {
      provide: PLATFORM_CLIENTS,
      useFactory: (
        config: FhirConfig,
        identity: ServiceIdentity | null,
        vouches: GatewayVouchSigner,
      ) => new PlatformClients(config.platforms, config.deadlineMs, identity ?? undefined, vouches),
      inject: [FHIR_CONFIG, SERVICE_IDENTITY, GATEWAY_VOUCH_SIGNER],
    },
    ConformanceRecorder,
    FastPatientRoutes, // Patient read and search without Express's router and Nest's route context (fast-read.ts)
    ExportJobs,
    ExportJobsRepository,
    ExportWorker,
  ],
  // the gRPC front door counts refused writes and reaches the platforms with the same settings
  exports: [ConformanceRecorder, FHIR_CONFIG],
})
export class FhirModule implements NestModule, OnApplicationShutdown {
  constructor(
    @Inject(FHIR_CONFIG) private readonly config: FhirConfig,
    @Inject(PLATFORM_CLIENTS) private readonly clients: PlatformClients,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    const upload = {
      bodyBytes: attachmentBodyBytes(this.config.maxAttachmentBytes, this.config.maxBodyBytes),
      matches: isAttachmentUpload,
    };
    consumer.apply(fhirBodyMiddleware(this.config.maxBodyBytes, upload)).forRoutes(FHIR_PREFIX);
  }

  onApplicationShutdown(): void {
    this.clients.close();
  }
}
