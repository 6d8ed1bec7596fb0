import { mayActInRegion, requireCaller } from '@trellis/auth';
import { FhirError } from '@trellis/fhir';
import { isRegion } from '@trellis/service-kit';
import type { Request, Response } from 'express';

import {
  EXPORT_SCOPE,
  type ExportContext,
  KICK_OFF_PARAMETERS,
  KICK_OFF_PARAMS,
  kickOffExport,
} from '../export/export.kick-off';
import { fhirOperation } from './fhir-operation';

const GROUP_ID = /^region-([a-z-]{2,40})$/;

/** GET /fhir/Group/:id/$export */
export const GROUP_EXPORT = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'group-export',
    name: 'export',
    status: 'active',
    kind: 'operation',
    description:
      "FHIR Bulk Data group export of a region's patients: Group/region-<region>/$export, for the region's authority (region/<region>/population.read) or the national operator. Patients registered with a practice of the region and their ServiceRequests, Appointments, DiagnosticReports and Observations (whoever holds them); restricted patients (and their records) only with trellis/restricted.read.",
    affectsState: false,
    code: 'export',
    resource: ['Group'],
    system: false,
    type: false,
    instance: true,
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
    summary: "Bulk export of a region's patients (Group/region-<region>)",
  },
);

/**
 * Serves Group/region-<region>/$export: a region's patients, for that region's authority or the
 * national operator (an unknown group is not found).
 */
export async function kickOffGroupExport(
  ctx: ExportContext,
  req: Request,
  res: Response,
): Promise<void> {
  const id = String(req.params['id']);
  const region = GROUP_ID.exec(id)?.[1];
  if (!region || !isRegion(region))
    throw FhirError.of(
      404,
      'not-found',
      'export.group-unknown',
      `Group/${id.slice(0, 64)} not found`,
    );
  if (!mayActInRegion(requireCaller(req), region, 'population.read'))
    throw FhirError.of(403, 'forbidden', 'export.not-your-region', `not an authority of ${region}`);
  await kickOffExport(ctx, req, res, region);
}
