import { Controller, Inject, Req, Res, UseFilters } from '@nestjs/common';
import { referrals } from '@trellis/contracts';
import { FhirError, fhirErrorFromPlatform, validateFhirResource } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FHIR_CONFIG, type FhirConfig } from './fhir.config';
import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX } from './fhir.registry';
import { searchOf } from './fhir.search';
import { selfUrl } from './fhir.support';
import { PLATFORM_CLIENTS } from './fhir.tokens';
import { PlatformCallError, type PlatformClients } from './platform-clients';
import { regionalWaitingListsBundle } from './waiting-list-report';
import { MEASUREREPORT_REGIONAL_WAITING_LISTS } from './operations/measurereport-regional-waiting-lists';
import { ServeOperation } from './operations/fhir-operation';

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

  @ServeOperation(MEASUREREPORT_REGIONAL_WAITING_LISTS)
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
