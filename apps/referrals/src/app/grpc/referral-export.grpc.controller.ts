import { referrals } from '@trellis/contracts';
import { patientBatchQueryOf, grpcController, type GrpcHandlers } from '@trellis/service-kit';

import { CLOCK, type Clock } from '../domain/ports';
import { ReferralsError } from '../domain/referrals.errors';
import { ReferralsRepository } from '../referrals/referrals.repository';
import { PRISMA, type PrismaClient } from '../prisma';
import { referralToProto } from './mappers';

/**
 * Bulk export's source of referrals (FHIR $export at the gateway): every referral of the given
 * patients, whoever sent or received it. Reached only by Trellis services (the front door does not
 * forward this service) with a population-read token; which patients is the gateway's judgement
 * (identity's regional list), so the platform needs no regional knowledge.
 */
export const ReferralExportGrpcController = grpcController(
  referrals.v1.ReferralExportServiceDefinition,
  [PRISMA, CLOCK],
  (
    prisma: PrismaClient,
    clock: Clock,
  ): GrpcHandlers<referrals.v1.ReferralExportServiceController> => {
    const repo = new ReferralsRepository(prisma);
    return {
      listReferralsForPatients: async (req) => {
        const q = patientBatchQueryOf(req, (violations) => ReferralsError.invalid(violations));
        const page = q.page(await repo.forPatients(q));
        const now = clock.now();
        return {
          referrals: page.rows.map((r) => referralToProto(r, now)),
          page: { nextPageToken: page.nextPageToken },
        };
      },
    };
  },
);
