import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { DiagnosticReport } from '@medplum/fhirtypes';
import { reportToFhir } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX } from './fhir.registry';
import { versionHeaders } from './fhir.support';
import { param, PlatformFhirController } from './platform-fhir.controller';
import { DIAGNOSTICREPORT_ACKNOWLEDGE } from './operations/diagnosticreport-acknowledge';
import { ServeOperation } from './operations/fhir-operation';

/** DiagnosticReport/{id}/$acknowledge, declared with its OperationDefinition. */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ReportAcknowledgeFhirController extends PlatformFhirController {
  @ServeOperation(DIAGNOSTICREPORT_ACKNOWLEDGE)
  async acknowledge(@Req() req: Request, @Res() res: Response): Promise<DiagnosticReport> {
    const p = await this.parameters(req, 'DiagnosticReport', 'operation:$acknowledge');
    const version = Number(param(p, 'version') ?? 0);
    const r = await this.call(
      this.platforms.reports.acknowledgeReport,
      {
        reportId: String(req.params['id']),
        version: Number.isInteger(version) ? version : 0,
        note: param(p, 'note') ?? '',
      },
      forwardContext(req),
      'DiagnosticReport',
    );
    const d = reportToFhir(r.report!);
    return sendFhir(res, 200, d, versionHeaders(d));
  }
}
