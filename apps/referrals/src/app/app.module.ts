import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import {
  createAccessAuditor,
  createSystemStatusFeed,
  serviceIdentityFromConfig,
  TrellisAuthModule,
  type TrellisAuthOptions,
} from '@trellis/auth';
import type { Outbox } from '@trellis/events';
import { CONFIG, kafkaConnection, ShutdownHooks, ShutdownOrder } from '@trellis/platform';

import { OutboxReferralEventSink } from '../events/outbox-referral-event-sink';
import { ReferralsMessaging } from '../events/referrals-messaging';
import { REFERRALS_SCOPES } from './access/scopes';
import { authEndpoints, type ReferralsConfig } from './config';
import { CLOCK, systemClock, type Clock } from './domain/ports';
import { ReferralExportGrpcController } from './grpc/referral-export.grpc.controller';
import { ReferralGrpcController } from './grpc/referral.grpc.controller';
import { OUTBOX, ReferralsInfraModule } from './infra.module';
import {
  IdentityPatientDirectory,
  PATIENT_DIRECTORY,
  type PatientDirectory,
} from '@trellis/identity-client';
import { patientDirectoryErrors } from './domain/referrals.errors';
import { PRISMA, type PrismaClient } from './prisma';
import { REFERRAL_EVENT_SINK, type ReferralEventSink } from './referrals/referral-events';
import { ReferralsRepository } from './referrals/referrals.repository';
import { ReferralsService } from './referrals/referrals.service';

/** Seams for integration tests; production passes nothing. */
export interface ReferralsModuleOverrides {
  /** e.g. a test authority's keySet and a StaticSystemStatusFeed instead of JWKS + Kafka. */
  auth?: Partial<Pick<TrellisAuthOptions, 'keySet' | 'statusFeed' | 'issuer' | 'audience'>>;
  patientDirectory?: PatientDirectory;
  clock?: Clock;
}

@Module({})
export class ReferralsModule {
  static register(overrides: ReferralsModuleOverrides = {}): DynamicModule {
    const providers: Provider[] = [
      { provide: CLOCK, useValue: overrides.clock ?? systemClock },
      overrides.patientDirectory
        ? { provide: PATIENT_DIRECTORY, useValue: overrides.patientDirectory }
        : {
            provide: PATIENT_DIRECTORY,
            inject: [CONFIG, ShutdownHooks],
            useFactory: (config: ReferralsConfig, hooks: ShutdownHooks) => {
              const directory = new IdentityPatientDirectory({
                address: config.IDENTITY_GRPC_ADDR,
                deadlineMs: config.IDENTITY_DEADLINE_MS,
                errors: patientDirectoryErrors,
                serviceIdentity: serviceIdentityFromConfig('referrals', config),
              });
              hooks.register('identity-client', () => directory.close(), ShutdownOrder.MESSAGING);
              return directory;
            },
          },
      {
        provide: REFERRAL_EVENT_SINK,
        inject: [OUTBOX],
        useFactory: (outbox: Outbox) => new OutboxReferralEventSink(outbox),
      },
      {
        provide: ReferralsService,
        inject: [PRISMA, PATIENT_DIRECTORY, REFERRAL_EVENT_SINK, CLOCK],
        useFactory: (
          prisma: PrismaClient,
          patients: PatientDirectory,
          sink: ReferralEventSink,
          clock: Clock,
        ) => new ReferralsService(prisma, new ReferralsRepository(), patients, sink, clock),
      },
      ReferralsMessaging,
    ];
    return {
      module: ReferralsModule,
      imports: [
        ReferralsInfraModule.register(),
        TrellisAuthModule.forRootAsync({
          inject: [CONFIG, PRISMA, OUTBOX],
          useFactory: (
            config: ReferralsConfig,
            prisma: PrismaClient,
            outbox: Outbox,
          ): TrellisAuthOptions => {
            const connection = kafkaConnection(config);
            const statusFeed =
              overrides.auth?.statusFeed ??
              (connection
                ? createSystemStatusFeed({ service: 'referrals', connection })
                : undefined);
            if (!statusFeed) throw new Error('KAFKA_BROKERS is required for the suspension feed');
            const endpoints =
              overrides.auth?.keySet && overrides.auth.issuer
                ? { issuer: overrides.auth.issuer, jwksUrl: '' }
                : authEndpoints(config);
            return {
              service: 'referrals',
              serviceIdentity: serviceIdentityFromConfig('referrals', config),
              requireServiceIdentity: true,
              scopeTable: REFERRALS_SCOPES,
              issuer: endpoints.issuer,
              ...(config.AUTH_AUDIENCE || overrides.auth?.audience
                ? { audience: overrides.auth?.audience ?? config.AUTH_AUDIENCE }
                : {}),
              ...(overrides.auth?.keySet
                ? { keySet: overrides.auth.keySet }
                : { jwksUrl: endpoints.jwksUrl }),
              statusFeed,
              auditor: createAccessAuditor({
                service: 'referrals',
                db: prisma,
                outbox: {
                  enqueue: (tx: PrismaClient, m) =>
                    outbox.enqueue(tx, { ...m, key: m.key || null }),
                },
              }),
            };
          },
        }),
      ],
      controllers: [ReferralGrpcController, ReferralExportGrpcController],
      providers,
    };
  }
}

/** The root module class the platform bootstrap takes (it wants a class, not a DynamicModule). */
export function createReferralsModule(overrides: ReferralsModuleOverrides = {}): Type<unknown> {
  @Module({ imports: [ReferralsModule.register(overrides)] })
  class ReferralsRootModule {}
  return ReferralsRootModule;
}
