import { Controller, Inject, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';

import { FHIR_CONFIG, type FhirConfig } from './fhir.config';
import { FhirExceptionFilter } from './fhir.http';
import { FHIR_PREFIX } from './fhir.registry';
import { PLATFORM_CLIENTS } from './fhir.tokens';
import { type PlatformClients } from './platform-clients';
import {
  MEASUREREPORT_REGIONAL_WAITING_LISTS,
  regionalWaitingLists,
} from './operations/measurereport-regional-waiting-lists';
import { ServeOperation } from './operations/fhir-operation';

/**
 * A region's RTT waiting lists as FHIR MeasureReports (issue 18), declared and handled in its
 * operation file (the region's authority or the national operator only, decided by the referrals
 * platform).
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
    await regionalWaitingLists(
      { platforms: this.platforms, publicUrl: this.config.publicUrl },
      req,
      res,
    );
  }
}
