import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import {
  serviceAuthOptions,
  serviceIdentityFromConfig,
  TrellisAuthModule,
  type TrellisAuthOptions,
} from '@trellis/auth';
import type { Outbox } from '@trellis/events';
import { CONFIG, ShutdownHooks, ShutdownOrder } from '@trellis/platform';

import { OutboxReferralEventSink } from '../events/outbox-referral-event-sink';
import { ReferralsMessaging } from '../events/referrals-messaging';
import { REFERRALS_SCOPES } from './access/scopes';
import { type ReferralsConfig } from './config';
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
          ): TrellisAuthOptions =>
            serviceAuthOptions({
              service: 'referrals',
              config,
              scopeTable: REFERRALS_SCOPES,
              overrides: overrides.auth,
              requireServiceIdentity: true,
              audit: { db: prisma, outbox },
            }),
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
