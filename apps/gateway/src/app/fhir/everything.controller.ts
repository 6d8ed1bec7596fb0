import { Controller, Inject, Req, Res, UseFilters } from '@nestjs/common';
import type { Bundle } from '@medplum/fhirtypes';
import type { Request, Response } from 'express';

import { FHIR_CONFIG, type FhirConfig } from './fhir.config';
import { FhirExceptionFilter } from './fhir.http';
import { FHIR_PREFIX } from './fhir.registry';
import { PLATFORM_CLIENTS } from './fhir.tokens';
import { type PlatformClients } from './platform-clients';
import { PATIENT_EVERYTHING, patientEverything } from './operations/patient-everything';
import { ServeOperation } from './operations/fhir-operation';

/** Patient/{nhs}/$everything (the shared care record), declared and handled in its operation file. */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class EverythingFhirController {
  constructor(
    @Inject(PLATFORM_CLIENTS) private readonly platforms: PlatformClients,
    @Inject(FHIR_CONFIG) private readonly config: FhirConfig,
  ) {}

  @ServeOperation(PATIENT_EVERYTHING)
  everything(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    return patientEverything({ platforms: this.platforms, config: this.config }, req, res);
  }
}
