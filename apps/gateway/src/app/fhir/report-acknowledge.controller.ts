import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { DiagnosticReport } from '@medplum/fhirtypes';
import { reportToFhir } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { versionHeaders } from './fhir.support';
import {
  instanceOperation,
  param,
  PlatformFhirController,
  REASON_PARAM,
} from './platform-fhir.controller';

/** DiagnosticReport/{id}/$acknowledge, declared with its OperationDefinition. */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ReportAcknowledgeFhirController extends PlatformFhirController {
  @FhirRoute(
    instanceOperation({
      resource: 'DiagnosticReport',
      platform: 'results',
      name: 'acknowledge',
      summary: 'Acknowledge (file) a result as the requesting organisation',
      description:
        'The requesting organisation acknowledges a result version (idempotent: a repeat returns the first acknowledgement). Parameters: version (0/absent = latest), note.',
      parameters: [
        {
          name: 'version',
          use: 'in',
          min: 0,
          max: '1',
          type: 'integer',
          documentation: 'Version acknowledged (latest when absent)',
        },
        { ...REASON_PARAM, name: 'note' },
      ],
      returns: 'The acknowledged report',
    }),
  )
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
