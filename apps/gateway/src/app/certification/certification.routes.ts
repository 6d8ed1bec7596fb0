import { type FhirOperationSpec, type FhirRouteSpec } from '../fhir/fhir.registry';
import { type FhirSearchParam } from '../fhir/fhir.search';
import { CERTIFIABLE_ROLES } from './exchange';

/** The search tables of the conformance kit (fhir.search.ts): checked and declared from here. */
export const TEST_SCRIPT_SEARCH_PARAMS: readonly FhirSearchParam[] = [
  {
    name: 'context',
    type: 'token',
    documentation: `The role whose scenarios to list: ${CERTIFIABLE_ROLES.join(' | ')}`,
  },
];

export const TEST_REPORT_SEARCH_PARAMS: readonly FhirSearchParam[] = [
  {
    name: 'session',
    type: 'token',
    documentation: 'Required: the session id $start-session returned',
  },
];

export const VERIFICATION_RESULT_SEARCH_PARAMS: readonly FhirSearchParam[] = [
  {
    name: 'target',
    type: 'reference',
    documentation: 'Group/<product version id>: the certificates of one product version',
  },
  {
    name: 'status',
    type: 'token',
    documentation: 'The register status: active | suspended | revoked | expired | superseded',
  },
];

const SESSION_SCOPE = 'system/TestReport.c';

function typeOperation(
  name: string,
  summary: string,
  description: string,
  parameters: FhirOperationSpec['parameters'],
): FhirRouteSpec {
  return {
    method: 'POST',
    path: `TestScript/$${name}`,
    resource: 'TestScript',
    interaction: 'operation',
    scope: SESSION_SCOPE,
    summary,
    operation: { name, instance: false, description, affectsState: true, parameters },
  };
}

export const START_SESSION = typeOperation(
  'start-session',
  'Start a conformance session for the calling sandbox system (its product version and role)',
  "Opens a conformance session for the calling system's product version: while it is open the system's sandbox traffic is recorded, faults are injected, and it is evaluated against the role's TestScripts on $finish-session. Returns the session id, role, product version, rules version and the scenarios.",
  [
    {
      name: 'role',
      use: 'in',
      min: 0,
      max: '1',
      type: 'code',
      documentation: `${CERTIFIABLE_ROLES.join(' | ')}: must be the product's role (default: that role)`,
    },
    {
      name: 'retry-after',
      use: 'in',
      min: 0,
      max: '1',
      type: 'integer',
      documentation: 'Seconds the injected 429 asks the client to wait (1-30, default 2)',
    },
    {
      name: 'return',
      use: 'out',
      min: 1,
      max: '1',
      type: 'Parameters',
      documentation:
        'session, role, product-version, rules-version and one scenario per TestScript',
    },
  ],
);

export const FINISH_SESSION = typeOperation(
  'finish-session',
  'Finish a conformance session: one TestReport per scenario, and a certificate when all pass',
  'Closes the session and evaluates its recorded traffic: returns a collection Bundle with one TestReport per scenario and, when every required scenario passed, the conformance certificate as a VerificationResult.',
  [
    {
      name: 'session',
      use: 'in',
      min: 1,
      max: '1',
      type: 'id',
      documentation: 'The session id $start-session returned',
    },
    {
      name: 'return',
      use: 'out',
      min: 1,
      max: '1',
      type: 'Bundle',
      documentation: 'The TestReports and, when certified, the VerificationResult',
    },
  ],
);
