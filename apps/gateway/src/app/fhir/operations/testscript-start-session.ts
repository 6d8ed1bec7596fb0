import { CERTIFIABLE_ROLES } from '../../certification/exchange';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/TestScript/$start-session */
export const TESTSCRIPT_START_SESSION = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'testscript-start-session',
    name: 'start-session',
    status: 'active',
    kind: 'operation',
    description:
      "Opens a conformance session for the calling system's product version: while it is open the system's sandbox traffic is recorded, faults are injected, and it is evaluated against the role's TestScripts on $finish-session. Returns the session id, role, product version, rules version and the scenarios.",
    affectsState: true,
    code: 'start-session',
    resource: ['TestScript'],
    system: false,
    type: true,
    instance: false,
    parameter: [
      {
        name: 'role',
        use: 'in',
        min: 0,
        max: '1',
        documentation: `${CERTIFIABLE_ROLES.join(' | ')}: must be the product's role (default: that role)`,
        type: 'code',
      },
      {
        name: 'retry-after',
        use: 'in',
        min: 0,
        max: '1',
        documentation: 'Seconds the injected 429 asks the client to wait (1-30, default 2)',
        type: 'integer',
      },
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation:
          'session, role, product-version, rules-version and one scenario per TestScript',
        type: 'Parameters',
      },
    ],
  },
  {
    method: 'POST',
    scope: 'system/TestReport.c',
    summary:
      'Start a conformance session for the calling sandbox system (its product version and role)',
  },
);
