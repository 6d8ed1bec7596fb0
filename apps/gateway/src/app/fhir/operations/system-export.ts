import { isNationalOperator, requireCaller } from '@trellis/auth';
import { FhirError } from '@trellis/fhir';
import type { Request, Response } from 'express';

import {
  EXPORT_SCOPE,
  type ExportContext,
  KICK_OFF_PARAMETERS,
  KICK_OFF_PARAMS,
  kickOffExport,
} from '../export/export.kick-off';
import { fhirOperation } from './fhir-operation';

/** GET /fhir/$export */
export const SYSTEM_EXPORT = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'system-export',
    name: 'export',
    status: 'active',
    kind: 'operation',
    description:
      'FHIR Bulk Data system export (async: Prefer: respond-async, 202 + Content-Location of the status URL; NDJSON files). National operator only (trellis/admin).',
    affectsState: false,
    code: 'export',
    resource: [],
    system: true,
    type: true,
    instance: false,
    parameter: [...KICK_OFF_PARAMETERS],
  },
  {
    method: 'GET',
    platform: 'identity',
    scope: EXPORT_SCOPE,
    patientData: true,
    // a population, not one patient: the audit record names none
    subject: () => ({}),
    searchParams: KICK_OFF_PARAMS,
    summary: 'Bulk export of every patient (national operator)',
  },
);

/** Serves $export: the national operator's bulk export of every patient (a region's: Group). */
export async function kickOffSystemExport(
  ctx: ExportContext,
  req: Request,
  res: Response,
): Promise<void> {
  if (!isNationalOperator(requireCaller(req)))
    throw FhirError.of(
      403,
      'forbidden',
      'export.national-only',
      'system-level $export is for the national operator; a regional authority exports Group/region-<region>',
    );
  await kickOffExport(ctx, req, res, undefined);
}
