import { Controller, Inject, Req, Res, UseFilters } from '@nestjs/common';
import { referrals } from '@trellis/contracts';
import { FhirError, fhirErrorFromPlatform, validateFhirResource } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FHIR_CONFIG, type FhirConfig } from './fhir.config';
import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { searchOf } from './fhir.search';
import { selfUrl } from './fhir.support';
import { PLATFORM_CLIENTS } from './fhir.tokens';
import { PlatformCallError, type PlatformClients } from './platform-clients';
import { regionalWaitingListsBundle } from './waiting-list-report';

/**
 * A region's RTT waiting lists as FHIR MeasureReports (issue 18): the referrals platform's
 * GetRegionalWaitingLists with the caller's token, so the same rule decides on both doors (the
 * region's authority or the national operator only). Every report is validated before it leaves.
 */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class RegionalWaitingListsFhirController {
  constructor(
    @Inject(PLATFORM_CLIENTS) private readonly platforms: PlatformClients,
    @Inject(FHIR_CONFIG) private readonly config: FhirConfig,
  ) {}

  @FhirRoute({
    method: 'GET',
    path: 'MeasureReport/$regional-waiting-lists',
    resource: 'MeasureReport',
    platform: 'referrals',
    interaction: 'operation',
    scope: 'region/*/waiting-lists.read',
    summary: "A region's RTT waiting lists and breaches by provider and specialty",
    searchParams: [
      {
        name: 'region',
        type: 'token',
        documentation: 'The region code, e.g. north-east (required)',
      },
    ],
    operation: {
      name: 'regional-waiting-lists',
      instance: false,
      affectsState: false,
      description:
        "A Bundle (searchset) of MeasureReports: the region's total, then one per provider with its open RTT pathways by weeks-waited band and by specialty, and its 18-week and two-week-wait breaches. For the region's digital authority (region/<region>/waiting-lists.read) or the national operator.",
      parameters: [
        {
          name: 'region',
          use: 'in',
          min: 1,
          max: '1',
          type: 'token',
          documentation: 'The region code',
        },
        {
          name: 'return',
          use: 'out',
          min: 1,
          max: '1',
          type: 'Bundle',
          documentation: 'The reports',
        },
      ],
    },
  })
  async regional(@Req() req: Request, @Res() res: Response): Promise<void> {
    const region = searchOf(req).one('region');
    if (!region)
      throw FhirError.of(
        400,
        'required',
        'operation.parameter-required',
        'region is required',
        'region',
      );
    let r: referrals.v1.GetRegionalWaitingListsResponse;
    try {
      r = await this.platforms.call(
        this.platforms.referrals.getRegionalWaitingLists,
        { region },
        forwardContext(req),
      );
    } catch (err) {
      if (err instanceof PlatformCallError)
        throw fhirErrorFromPlatform(err.decoded, 'MeasureReport');
      throw err;
    }
    const asOf = r.asOf ? new Date(Number(r.asOf.seconds) * 1000) : new Date();
    const base = `${this.config.publicUrl}/${FHIR_PREFIX}`;
    const bundle = regionalWaitingListsBundle(
      region,
      r,
      asOf,
      base,
      selfUrl(this.config.publicUrl, req),
    );
    for (const e of bundle.entry ?? []) {
      const { issues } = validateFhirResource(e.resource!);
      if (issues.length > 0)
        throw FhirError.of(
          500,
          'exception',
          'fhir.outbound-invalid',
          `waiting list could not be rendered: ${issues
            .map((i) => i.message)
            .join('; ')
            .slice(0, 200)}`,
        );
    }
    sendFhir(res, 200, bundle);
  }
}
