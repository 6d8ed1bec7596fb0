import { defineScopeTable, TRELLIS_SCOPES } from '@trellis/auth';

/** Scorecards: a MeasureReport read; which cards a caller may read is the service's rule. */
export const SCORECARD_READ_SCOPE = 'system/MeasureReport.rs';

export const CONFORMANCE_SCOPES = defineScopeTable({
  '/trellis.conformance.v1.ScorecardService/GetScorecard': { scope: SCORECARD_READ_SCOPE },
  '/trellis.conformance.v1.ScorecardService/GetCompliance': { scope: SCORECARD_READ_SCOPE },
  '/trellis.conformance.v1.ScorecardService/ListComplianceChanges': {
    scope: SCORECARD_READ_SCOPE,
  },
  '/trellis.conformance.v1.ScorecardService/ListSystemScorecards': { scope: SCORECARD_READ_SCOPE },
  '/trellis.conformance.v1.ScorecardService/ListRegionComplianceChanges': {
    scope: SCORECARD_READ_SCOPE,
  },
  '/trellis.conformance.v1.ScorecardService/OverrideCompliance': { scope: TRELLIS_SCOPES.admin },
});
