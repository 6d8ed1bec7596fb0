import { platformModule, type PlatformParts } from '@trellis/identity-client';

import { OutboxReferralEventSink } from '../events/outbox-referral-event-sink';
import { ReferralsMessaging } from '../events/referrals-messaging';
import { REFERRALS_SCOPES } from './access/scopes';
import { patientDirectoryErrors } from './domain/referrals.errors';
import { ReferralExportGrpcController } from './grpc/referral-export.grpc.controller';
import { ReferralGrpcController } from './grpc/referral.grpc.controller';
import { PRISMA, PrismaClient } from './prisma';
import { type ReferralEventSink } from './referrals/referral-events';
import { ReferralsRepository } from './referrals/referrals.repository';
import { ReferralsService } from './referrals/referrals.service';

/** The root module class the platform bootstrap takes; tests pass their seams as overrides. */
export const createReferralsModule = platformModule({
  service: 'referrals',
  prisma: [PRISMA, PrismaClient],
  scopeTable: REFERRALS_SCOPES,
  directoryErrors: patientDirectoryErrors,
  eventSink: OutboxReferralEventSink,
  controllers: [ReferralGrpcController, ReferralExportGrpcController],
  services: [
    [
      ReferralsService,
      ({ prisma, patients, sink, clock }: PlatformParts<PrismaClient, ReferralEventSink>) =>
        new ReferralsService(new ReferralsRepository(prisma), patients, sink, clock),
    ],
  ],
  providers: [ReferralsMessaging],
});
