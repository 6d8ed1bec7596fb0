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
