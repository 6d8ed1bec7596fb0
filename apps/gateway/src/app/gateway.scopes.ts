import { defineScopeTable } from '@trellis/auth';

import { CERTIFICATION_SCOPE_RULES } from './certification/certification.scopes';
import { SESSION_PROGRESS_SCOPE_RULES } from './certification/session-progress.admin.controller';
import { FHIR_SCOPE_RULES } from './fhir/fhir.routes';
import { PRODUCTS_SCOPE_RULES } from './products/products.scopes';
import { REGIONAL_SCOPE_RULES } from './regions/regional.scopes';
import { SCORECARDS_SCOPE_RULES } from './scorecards/compliance-changes.admin.controller';
import { ENFORCEMENT_HISTORY_SCOPE_RULES } from './scorecards/enforcement-history.admin.controller';
import { SYSTEM_SCORECARDS_SCOPE_RULES } from './scorecards/system-scorecards.admin.controller';
import { SYSTEMS_SCOPE_RULES } from './systems/systems.scopes';
import { TOKEN_SCOPE_RULES } from './tokens/tokens.scopes';

/**
 * The gateway's ONE scope table (every route/method of this service; undeclared = denied).
 * Each context contributes its rules; the FHIR facade adds `FHIR_SCOPE_RULES` here.
 */
export const GATEWAY_SCOPES = defineScopeTable({
  ...SYSTEMS_SCOPE_RULES,
  ...REGIONAL_SCOPE_RULES,
  ...PRODUCTS_SCOPE_RULES,
  ...CERTIFICATION_SCOPE_RULES,
  ...SESSION_PROGRESS_SCOPE_RULES,
  ...SCORECARDS_SCOPE_RULES,
  ...SYSTEM_SCORECARDS_SCOPE_RULES,
  ...ENFORCEMENT_HISTORY_SCOPE_RULES,
  ...TOKEN_SCOPE_RULES,
  ...FHIR_SCOPE_RULES,
});
