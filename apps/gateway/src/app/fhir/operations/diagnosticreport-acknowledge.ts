import type { DiagnosticReport } from '@medplum/fhirtypes';
import { reportToFhir } from '@trellis/fhir';

import { forwardContext, sendFhir } from '../fhir.http';
import { versionHeaders } from '../fhir.support';
import { type OperationHandler, param, resourceSubject } from '../platform-fhir.controller';
import {
  fhirOperation,
  freeTextParameter,
  instanceOperationDefinition,
  operationParameter,
  returnParameter,
} from './fhir-operation';

/** POST /fhir/DiagnosticReport/:id/$acknowledge */
export const DIAGNOSTICREPORT_ACKNOWLEDGE = fhirOperation(
  instanceOperationDefinition('DiagnosticReport', 'acknowledge', {
    description:
      'The requesting organisation acknowledges a result version (idempotent: a repeat returns the first acknowledgement). Parameters: version (0/absent = latest), note.',
    affectsState: true,
    parameter: [
      operationParameter(
        'in',
        'version',
        'integer',
        0,
        '1',
        'Version acknowledged (latest when absent)',
      ),
      freeTextParameter('note', 0),
      returnParameter('DiagnosticReport', 'The acknowledged report'),
    ],
  }),
  {
    method: 'POST',
    platform: 'results',
    scope: 'system/DiagnosticReport.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Acknowledge (file) a result as the requesting organisation',
  },
);

/** Serves DiagnosticReport/{id}/$acknowledge: the results platform's acknowledgeReport. */
export const acknowledgeDiagnosticReport: OperationHandler<DiagnosticReport> = async (
  ctx,
  req,
  res,
) => {
  const p = await ctx.parameters(req, 'DiagnosticReport', 'operation:$acknowledge');
  const version = Number(param(p, 'version') ?? 0);
  const r = await ctx.call(
    ctx.platforms.reports.acknowledgeReport,
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
};
