import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { DiagnosticReport } from '@medplum/fhirtypes';
import type { Request, Response } from 'express';

import { FhirExceptionFilter } from './fhir.http';
import { FHIR_PREFIX } from './fhir.registry';
import { PlatformFhirController } from './platform-fhir.controller';
import {
  acknowledgeDiagnosticReport,
  DIAGNOSTICREPORT_ACKNOWLEDGE,
} from './operations/diagnosticreport-acknowledge';
import { ServeOperation } from './operations/fhir-operation';

/** DiagnosticReport/{id}/$acknowledge, declared and handled in its operation file. */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ReportAcknowledgeFhirController extends PlatformFhirController {
  @ServeOperation(DIAGNOSTICREPORT_ACKNOWLEDGE)
  acknowledge(@Req() req: Request, @Res() res: Response): Promise<DiagnosticReport> {
    return acknowledgeDiagnosticReport(this.operation, req, res);
  }
}
