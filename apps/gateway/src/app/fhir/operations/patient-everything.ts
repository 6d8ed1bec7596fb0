import { fhirOperation } from './fhir-operation';

/** GET /fhir/Patient/:id/$everything */
export const PATIENT_EVERYTHING = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'patient-everything',
    name: 'everything',
    status: 'active',
    kind: 'operation',
    description:
      'One Bundle (searchset) with the Patient, Appointments, ServiceRequests and DiagnosticReports from identity, appointments, referrals and results, gathered in parallel with per-platform deadlines; a platform that does not answer in time yields an OperationOutcome entry naming it.',
    affectsState: false,
    code: 'everything',
    resource: ['Patient'],
    system: false,
    type: false,
    instance: true,
    parameter: [
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation: 'The shared care record',
        type: 'Bundle',
      },
    ],
  },
  {
    method: 'GET',
    platform: 'identity',
    scope: 'system/Patient.r',
    patientData: true,
    patientAccess: true,
    summary: 'Shared care record: the patient and everything the platforms hold about them',
  },
);
