import type { FhirIssue } from './outcome';
import type { Json, Report, RuleContext } from './rules/checks';
import { diagnosticReportRules, observationRules } from './rules/diagnostic-report';
import { patientRules } from './rules/patient';
import { appointmentRules, scheduleRules, slotRules } from './rules/scheduling';
import { serviceRequestRules } from './rules/service-request';

/**
 * Trellis conformance rules on top of FHIR R4 structure: what the platforms need to accept a
 * resource (NHS number system + check digit, required elements, code systems). Each rule has a
 * stable id (the scorecards count by it) and reports the FHIRPath of the offending element.
 * The building blocks live in `rules/checks.ts`, one rule set per resource beside it.
 */
export { TRELLIS_RULES } from './rules/catalogue';
export {
  checkNhsNumberValue,
  isValidLoincCode,
  isValidSnomedId,
  type RuleContext,
} from './rules/checks';

/** Trellis rules for one resource (structure is checked separately by the FHIR validator). */
export function trellisRules(
  resource: Json,
  ctx: RuleContext,
  mode: 'create' | 'update' = 'create',
): FhirIssue[] {
  const issues: FhirIssue[] = [];
  const report: Report = (rule, expression, message, code = 'value') =>
    issues.push({ severity: 'error', code, rule, expression, message });
  switch (resource['resourceType']) {
    case 'Patient':
      patientRules(resource, ctx, mode, report);
      break;
    case 'ServiceRequest':
      serviceRequestRules(resource, mode, report);
      break;
    case 'Observation':
      observationRules(resource, 'Observation', report);
      break;
    case 'DiagnosticReport':
      diagnosticReportRules(resource, mode, report);
      break;
    case 'Appointment':
      appointmentRules(resource, report);
      break;
    case 'Schedule':
      scheduleRules(resource, report);
      break;
    case 'Slot':
      slotRules(resource, mode, report);
      break;
    default:
      break;
  }
  return issues;
}
