import { TRELLIS_SCOPES, type ScopeRule } from '@trellis/auth';

const admin = { scope: TRELLIS_SCOPES.admin } as const;
const SVC = '/trellis.gateway.v1.ProductService';

/** The product registry's admin gRPC API: operator scope only. */
export const PRODUCTS_SCOPE_RULES: Readonly<Record<string, ScopeRule>> = {
  [`${SVC}/RegisterProduct`]: admin,
  [`${SVC}/RegisterProductVersion`]: admin,
  [`${SVC}/ListProducts`]: admin,
};
