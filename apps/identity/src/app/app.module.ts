import { Injectable, Module, type DynamicModule, type Type } from '@nestjs/common';
import {
  createAccessAuditor,
  createSystemStatusFeed,
  serviceIdentityFromConfig,
  TrellisAuthModule,
  type SystemStatusFeed,
} from '@trellis/auth';
import {
  createOutbox,
  ServiceMessagingProvider,
  type Outbox,
  type ServiceMessagingPlan,
} from '@trellis/events';
import { NhsNumberAllocator } from '@trellis/nhs-number';
import { CONFIG, HealthRegistry, kafkaConnection } from '@trellis/service-kit';
import type { JWTVerifyGetKey } from 'jose';
import { OutboxPatientEventSink } from '../events/patient-events';
import { IDENTITY_SCOPES } from './access/scopes';
import type { IdentityConfig } from './config';
import { PatientsGrpcController } from './patients/patients.grpc.controller';
import { PatientsRepository } from './patients/patients.repository';
import { PatientsService } from './patients/patients.service';
import { PrismaService } from './prisma.service';
import { PointerEventSink } from './records/records.events';
import { RecordLocatorGrpcController } from './records/records.grpc.controller';
import { PointerRepository } from './records/records.repository';
import { RecordLocator } from './records/records.service';

export const OUTBOX = Symbol('identity.outbox');

/** Test seams: a local key set and a static suspension feed instead of the gateway JWKS + Kafka feed. */
export interface IdentityModuleOverrides {
  authKeySet?: JWTVerifyGetKey;
  authIssuer?: string;
  statusFeed?: SystemStatusFeed;
}

/**
 * The outbox relay (when enabled), started like every service's: Kafka unreachable at boot
 * degrades identity (non-critical `kafka` readiness check, registrations wait in the outbox and
 * drain once the relay connects) instead of failing its start.
 */
@Injectable()
class IdentityMessaging extends ServiceMessagingProvider<IdentityConfig> {
  protected plan(): ServiceMessagingPlan {
    return { config: this.config };
  }
}

export function createIdentityModule(overrides: IdentityModuleOverrides = {}): Type<unknown> {
  @Module({
    providers: [
      PrismaService,
      { provide: OUTBOX, useFactory: () => createOutbox({ source: '/trellis/identity' }) },
      {
        provide: PatientsRepository,
        inject: [PrismaService],
        useFactory: (prisma: PrismaService) => new PatientsRepository(prisma.client, prisma.pool),
      },
      {
        provide: PatientsService,
        inject: [CONFIG, PrismaService, PatientsRepository, OUTBOX, HealthRegistry],
        useFactory: async (
          config: IdentityConfig,
          prisma: PrismaService,
          repo: PatientsRepository,
          outbox: Outbox,
          health: HealthRegistry,
        ) => {
          // eslint-disable-next-line no-restricted-syntax -- the readiness probe: the connection answers, no query of the records
          health.register('database', () => prisma.client.$queryRaw`SELECT 1`);
          const allocator = new NhsNumberAllocator(prisma.client, {
            name: config.NHS_NUMBER_RANGE_NAME,
            first: config.NHS_NUMBER_RANGE_FIRST,
            last: config.NHS_NUMBER_RANGE_LAST,
          });
          await allocator.ensureRange();
          const auditor = createAccessAuditor<unknown>({
            service: 'identity',
            db: prisma.client,
            outbox,
          });
          return new PatientsService(
            repo,
            allocator,
            new OutboxPatientEventSink(outbox),
            {
              duplicateThreshold: config.IDENTITY_DUPLICATE_THRESHOLD,
              traceMinScore: config.IDENTITY_TRACE_MIN_SCORE,
              traceDefaultMaxResults: config.IDENTITY_TRACE_DEFAULT_MAX,
              traceDominanceMargin: config.IDENTITY_TRACE_DOMINANCE_MARGIN,
            },
            () => new Date(),
            async (tx, e) => {
              await auditor.record(
                {
                  interaction: '/trellis.identity.v1.PatientService/RegisterPatient',
                  action: 'C',
                  outcome: 'success',
                  outcomeDescription: `DUPLICATE_OVERRIDE: registered despite ${e.overridden.join(', ')}; reason: ${e.reason}`,
                  caller: e.actor,
                  patientNhsNumber: e.nhsNumber,
                  resourceType: 'Patient',
                  requiredScope: 'system/Patient.c',
                },
                tx,
              );
            },
          );
        },
      },
      {
        // the record locator lives with the patient index: NHS numbers, restrictions and merges
        provide: RecordLocator,
        inject: [PrismaService, OUTBOX],
        useFactory: (prisma: PrismaService, outbox: Outbox) =>
          new RecordLocator(new PointerRepository(prisma.client), new PointerEventSink(outbox)),
      },
      IdentityMessaging,
    ],
    exports: [PrismaService, OUTBOX, PatientsService, RecordLocator],
  })
  class IdentityCoreModule {}

  const auth: DynamicModule = TrellisAuthModule.forRootAsync({
    imports: [IdentityCoreModule],
    inject: [CONFIG, PrismaService, OUTBOX],
    useFactory: (config: IdentityConfig, prisma: PrismaService, outbox: Outbox) => {
      const kafka = kafkaConnection(config);
      const statusFeed =
        overrides.statusFeed ??
        (kafka ? createSystemStatusFeed({ service: 'identity', connection: kafka }) : undefined);
      if (!statusFeed)
        throw new Error('identity needs KAFKA_BROKERS for the connected-system status feed');
      return {
        service: 'identity',
        serviceIdentity: serviceIdentityFromConfig('identity', config),
        requireServiceIdentity: true,
        scopeTable: IDENTITY_SCOPES,
        issuer: overrides.authIssuer ?? config.AUTH_ISSUER ?? '',
        ...(config.AUTH_AUDIENCE ? { audience: config.AUTH_AUDIENCE } : {}),
        ...(overrides.authKeySet
          ? { keySet: overrides.authKeySet }
          : config.AUTH_JWKS_URL
            ? { jwksUrl: config.AUTH_JWKS_URL }
            : {}),
        statusFeed,
        auditor: createAccessAuditor({ service: 'identity', db: prisma.client, outbox }),
      };
    },
  });

  @Module({
    imports: [IdentityCoreModule, auth],
    controllers: [PatientsGrpcController, RecordLocatorGrpcController],
  })
  class IdentityModule {}

  return IdentityModule;
}
