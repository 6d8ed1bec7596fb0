import { defineScopeTable, TRELLIS_SCOPES } from '@trellis/auth';

const admin = { scope: TRELLIS_SCOPES.admin } as const;
const SVC = '/trellis.gateway.v1.ConnectedSystemService';

/**
 * The gateway's scope table: the admin gRPC API (operator scope) and the public OAuth2 / discovery
 * routes. The FHIR facade adds its routes here (one table per service).
 */
export const GATEWAY_SCOPES = defineScopeTable({
  [`${SVC}/RegisterSystem`]: admin,
  [`${SVC}/GetSystem`]: admin,
  [`${SVC}/ListSystems`]: admin,
  [`${SVC}/UpdateSystemScopes`]: admin,
  [`${SVC}/SuspendSystem`]: admin,
  [`${SVC}/ReactivateSystem`]: admin,
  [`${SVC}/RotateSystemKeys`]: admin,
  'POST /oauth2/token': { public: true },
  'GET /.well-known/smart-configuration': { public: true },
  'GET /.well-known/jwks.json': { public: true },
});
