import { EXPORT_SCOPE, KICK_OFF_PARAMETERS, KICK_OFF_PARAMS } from '../export/export.kick-off';
import { fhirOperation } from './fhir-operation';

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
