import { resourceSubject } from '../platform-fhir.controller';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/DiagnosticReport/:id/$acknowledge */
export const DIAGNOSTICREPORT_ACKNOWLEDGE = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'diagnosticreport-acknowledge',
    name: 'acknowledge',
    status: 'active',
    kind: 'operation',
    description:
      'The requesting organisation acknowledges a result version (idempotent: a repeat returns the first acknowledgement). Parameters: version (0/absent = latest), note.',
    affectsState: true,
    code: 'acknowledge',
    resource: ['DiagnosticReport'],
    system: false,
    type: false,
    instance: true,
    parameter: [
      {
        name: 'version',
        use: 'in',
        min: 0,
        max: '1',
        documentation: 'Version acknowledged (latest when absent)',
        type: 'integer',
      },
      {
        name: 'note',
        use: 'in',
        min: 0,
        max: '1',
        documentation: 'Free-text reason or note',
        type: 'string',
      },
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation: 'The acknowledged report',
        type: 'DiagnosticReport',
      },
    ],
  },
  {
    method: 'POST',
    platform: 'results',
    scope: 'system/DiagnosticReport.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Acknowledge (file) a result as the requesting organisation',
  },
);
