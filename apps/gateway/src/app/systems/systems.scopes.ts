import { TRELLIS_SCOPES, type ScopeRule } from '@trellis/auth';

const admin = { scope: TRELLIS_SCOPES.admin } as const;
const regionAdmin = { scope: TRELLIS_SCOPES.regionAdmin } as const;
const SVC = '/trellis.gateway.v1.ConnectedSystemService';

/**
 * The registry's admin gRPC API (operator scope only) and its JSON face for the console: national
 * routes for the operator, /regions/:region/… for a regional authority (its own region only).
 */
export const SYSTEMS_SCOPE_RULES: Readonly<Record<string, ScopeRule>> = {
  [`${SVC}/RegisterSystem`]: admin,
  [`${SVC}/GetSystem`]: admin,
  [`${SVC}/ListSystems`]: admin,
  [`${SVC}/UpdateSystemScopes`]: admin,
  [`${SVC}/SuspendSystem`]: admin,
  [`${SVC}/ReactivateSystem`]: admin,
  [`${SVC}/RotateSystemKeys`]: admin,
  'GET /admin/v1/systems': admin,
  'POST /admin/v1/systems/:id/suspend': admin,
  'POST /admin/v1/systems/:id/reinstate': admin,
  'GET /admin/v1/regions/:region/systems': regionAdmin,
  'POST /admin/v1/regions/:region/systems/:id/suspend': regionAdmin,
  'POST /admin/v1/regions/:region/systems/:id/reinstate': regionAdmin,
};
