import { EXPORT_SCOPE, KICK_OFF_PARAMETERS, KICK_OFF_PARAMS } from '../export/export.kick-off';
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
