import { resourceSubject } from '../platform-fhir.controller';
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
