import { fhirOperation, instanceOperationDefinition, returnParameter } from './fhir-operation';

/** GET /fhir/Patient/:id/$everything */
export const PATIENT_EVERYTHING = fhirOperation(
  instanceOperationDefinition('Patient', 'everything', {
    description:
      'One Bundle (searchset) with the Patient, Appointments, ServiceRequests and DiagnosticReports from identity, appointments, referrals and results, gathered in parallel with per-platform deadlines; a platform that does not answer in time yields an OperationOutcome entry naming it.',
    affectsState: false,
    parameter: [returnParameter('Bundle', 'The shared care record')],
  }),
  {
    method: 'GET',
    platform: 'identity',
    scope: 'system/Patient.r',
    patientData: true,
    patientAccess: true,
    summary: 'Shared care record: the patient and everything the platforms hold about them',
  },
);
