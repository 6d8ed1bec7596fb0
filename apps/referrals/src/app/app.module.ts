import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { serviceInfraModule, type Outbox } from '@trellis/events';
import {
  PATIENT_DIRECTORY,
  type PatientDirectory,
  platformModule,
  type PlatformModuleOverrides,
  rootModuleOf,
} from '@trellis/identity-client';
import { CLOCK, type Clock } from '@trellis/platform';

import { OutboxReferralEventSink } from '../events/outbox-referral-event-sink';
import { ReferralsMessaging } from '../events/referrals-messaging';
import { REFERRALS_SCOPES } from './access/scopes';
import { patientDirectoryErrors } from './domain/referrals.errors';
import { ReferralExportGrpcController } from './grpc/referral-export.grpc.controller';
import { ReferralGrpcController } from './grpc/referral.grpc.controller';
import { PRISMA, PrismaClient } from './prisma';
import { REFERRAL_EVENT_SINK, type ReferralEventSink } from './referrals/referral-events';
import { ReferralsRepository } from './referrals/referrals.repository';
import { ReferralsService } from './referrals/referrals.service';

/** The outbox writer's token (PRISMA is the Prisma client's). */
export const OUTBOX = Symbol('referrals.outbox');

/** Seams for integration tests; production passes nothing. */
export type ReferralsModuleOverrides = PlatformModuleOverrides;

@Module({})
export class ReferralsModule {
  static register(overrides: ReferralsModuleOverrides = {}): DynamicModule {
    return platformModule({
      service: 'referrals',
      module: ReferralsModule,
      infra: serviceInfraModule({
        service: 'referrals',
        prisma: [PRISMA, PrismaClient],
        outbox: OUTBOX,
      }),
      prisma: PRISMA,
      outbox: OUTBOX,
      scopeTable: REFERRALS_SCOPES,
      directoryErrors: patientDirectoryErrors,
      controllers: [ReferralGrpcController, ReferralExportGrpcController],
      providers: [
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
          ) => new ReferralsService(new ReferralsRepository(prisma), patients, sink, clock),
        },
        ReferralsMessaging,
      ],
      overrides,
    });
  }
}

/** The root module class the platform bootstrap takes (it wants a class, not a DynamicModule). */
export function createReferralsModule(overrides: ReferralsModuleOverrides = {}): Type<unknown> {
  return rootModuleOf(ReferralsModule.register(overrides));
}
