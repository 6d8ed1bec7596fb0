import { type ScopeRule } from '@trellis/auth';

/** Reading scorecards: which cards a caller may read is the conformance service's rule. */
export const SCORECARD_SCOPE_RULES: Readonly<Record<string, ScopeRule>> = {
  'GET /fhir/MeasureReport': { scope: 'system/MeasureReport.rs' },
  'GET /fhir/Measure/:id': { scope: 'system/MeasureReport.rs' },
};
