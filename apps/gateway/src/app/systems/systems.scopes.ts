import { TRELLIS_SCOPES, type ScopeRule } from '@trellis/auth';

const admin = { scope: TRELLIS_SCOPES.admin } as const;
const SVC = '/trellis.gateway.v1.ConnectedSystemService';

/**
 * The registry's admin gRPC API (operator scope only) and its JSON face for the console (the
 * regional authority's routes are REGIONAL_SCOPE_RULES, apps/gateway/src/app/regions).
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
};
