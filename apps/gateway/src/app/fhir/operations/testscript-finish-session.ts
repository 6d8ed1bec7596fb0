import { fhirOperation } from './fhir-operation';

/** POST /fhir/TestScript/$finish-session */
export const TESTSCRIPT_FINISH_SESSION = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'testscript-finish-session',
    name: 'finish-session',
    status: 'active',
    kind: 'operation',
    description:
      'Closes the session and evaluates its recorded traffic: returns a collection Bundle with one TestReport per scenario and, when every required scenario passed, the conformance certificate as a VerificationResult.',
    affectsState: true,
    code: 'finish-session',
    resource: ['TestScript'],
    system: false,
    type: true,
    instance: false,
    parameter: [
      {
        name: 'session',
        use: 'in',
        min: 1,
        max: '1',
        documentation: 'The session id $start-session returned',
        type: 'id',
      },
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation: 'The TestReports and, when certified, the VerificationResult',
        type: 'Bundle',
      },
    ],
  },
  {
    method: 'POST',
    scope: 'system/TestReport.c',
    summary:
      'Finish a conformance session: one TestReport per scenario, and a certificate when all pass',
  },
);
