import { Controller, Inject } from '@nestjs/common';
import { referrals } from '@trellis/contracts';
import { patientBatchFindArgs, patientBatchQueryOf } from '@trellis/platform';

import { CLOCK, type Clock } from '../domain/ports';
import { ReferralsError } from '../domain/referrals.errors';
import { PRISMA, type PrismaClient } from '../prisma';
import { referralToProto } from './mappers';

const { ReferralExportServiceControllerMethods } = referrals.v1;

/**
 * Bulk export's source of referrals (FHIR $export at the gateway): every referral of the given
 * patients, whoever sent or received it. Reached only by Trellis services (the front door does not
 * forward this service) with a population-read token; which patients is the gateway's judgement
 * (identity's regional list), so the platform needs no regional knowledge.
 */
@Controller()
@ReferralExportServiceControllerMethods()
export class ReferralExportGrpcController implements referrals.v1.ReferralExportServiceController {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async listReferralsForPatients(
    req: referrals.v1.ListReferralsForPatientsRequest,
  ): Promise<referrals.v1.ListReferralsForPatientsResponse> {
    const q = patientBatchQueryOf(req, (violations) => ReferralsError.invalid(violations));
    const rows = await this.prisma.referral.findMany({
      ...patientBatchFindArgs(q, 'updatedAt'),
      include: {
        attachments: {
          select: { id: true, contentType: true, title: true, size: true, sha256: true },
          orderBy: { createdAt: 'asc' },
        },
      },
    });
    const page = q.page(rows);
    const now = this.clock.now();
    return {
      referrals: page.rows.map((r) => referralToProto(r, now)),
      page: { nextPageToken: page.nextPageToken },
    };
  }
}
