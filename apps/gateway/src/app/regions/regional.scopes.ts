import { type ScopeRule } from '@trellis/auth';

const read = { scope: 'region/*/systems.read' } as const;
const write = { scope: 'region/*/systems.write' } as const;
const scorecards = { scope: 'region/*/scorecards.read' } as const;
const SVC = '/trellis.gateway.v1.RegionalAuthorityService';

/**
 * Regional authority routes (issue 18) on both of the gateway's doors. The table can only ask for
 * "some region's" scope; RegionalService then checks the region the call names (mayActInRegion).
 * The national operator's trellis/admin satisfies every region scope (its override).
 */
export const REGIONAL_SCOPE_RULES: Readonly<Record<string, ScopeRule>> = {
  [`${SVC}/ListRegionSystems`]: read,
  [`${SVC}/SuspendRegionSystem`]: write,
  [`${SVC}/ReinstateRegionSystem`]: write,
  [`${SVC}/GetRegionStreamHealth`]: read,
  [`${SVC}/TransitionRegionSystem`]: write,
  [`${SVC}/GetRegionSystemLifecycle`]: read,
  [`${SVC}/GetRegionRequirements`]: read,
  [`${SVC}/SetRegionRequirements`]: write,
  [`${SVC}/ListRegionCertificates`]: scorecards,
  [`${SVC}/ListRegionScorecards`]: scorecards,
  [`${SVC}/CreateRegionAuthorityClient`]: write,
  [`${SVC}/RevokeRegionAuthorityClient`]: write,
  [`${SVC}/ListRegionAuthorityClients`]: read,
  [`${SVC}/RekeyRegionAuthorityClient`]: write,
  'POST /admin/v1/regions/:region/systems/:id/lifecycle': write,
  'GET /admin/v1/regions/:region/systems/:id/lifecycle': read,
  'GET /admin/v1/regions/:region/requirements': read,
  'POST /admin/v1/regions/:region/requirements': write,
  'GET /admin/v1/regions/:region/authority-clients': read,
  'POST /admin/v1/regions/:region/authority-clients': write,
  'POST /admin/v1/regions/:region/authority-clients/:id/kafka-credentials': write,
  'POST /admin/v1/regions/:region/authority-clients/:id/revoke': write,
  'GET /admin/v1/regions/:region/certificates': scorecards,
  'GET /admin/v1/regions/:region/scorecards': scorecards,
  'GET /admin/v1/regions/:region/systems': read,
  'POST /admin/v1/regions/:region/systems/:id/suspend': write,
  'POST /admin/v1/regions/:region/systems/:id/reinstate': write,
  'GET /admin/v1/regions/:region/stream-health': read,
};
