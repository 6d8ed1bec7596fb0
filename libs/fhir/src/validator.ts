import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { loadFhirDefinitions } from './definitions';
import { capIssues, type FhirIssue, type IssueCode } from './outcome';
import { trellisRules } from './rules';
import { shapeIssues } from './shape';

export interface ValidateOptions {
  /** The resource type the endpoint serves (a different resourceType is refused). */
  resourceType?: string;
  mode?: 'create' | 'update';
  /** The URL id on update (must equal resource.id). */
  id?: string;
  /** Clock for date rules (default: now). */
  now?: Date;
}

export interface ValidationResult {
  valid: boolean;
  /** 400 for structural problems (not FHIR R4), 422 when only Trellis rules failed. */
  status: 200 | 400 | 422;
  issues: FhirIssue[];
}

/** medplum's message → a stable Trellis rule id for FHIR R4 structure problems. */
function structuralRule(issue: OperationOutcomeIssue): string {
  const text = issue.details?.text ?? issue.diagnostics ?? '';
  if (/additional property/i.test(text)) return 'fhir.unknown-element';
  if (/missing required|expected .*array|expected single|cardinality|at least|at most/i.test(text))
    return 'fhir.cardinality';
  if (
    /invalid .*format|invalid .*value|expected .*(string|number|boolean|object)|invalid json|type/i.test(
      text,
    )
  )
    return 'fhir.datatype';
  if (/constraint|invariant/i.test(text) || issue.code === 'invariant') return 'fhir.invariant';
  if (/value ?set|binding|code/i.test(text)) return 'fhir.value-set';
  return 'fhir.structure';
}

function structural(resource: Resource): FhirIssue[] {
  loadFhirDefinitions();
  try {
    const warnings = validateResource(resource);
    return warnings
      .filter((w) => w.severity === 'error' || w.severity === 'fatal')
      .map((w) => fromMedplum(w));
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      return (err.outcome.issue ?? [])
        .filter((i) => i.severity === 'error' || i.severity === 'fatal')
        .map((i) => fromMedplum(i));
    }
    return [
      {
        severity: 'error',
        code: 'structure',
        rule: 'fhir.structure',
        expression: String(resource.resourceType ?? 'Resource'),
        message: err instanceof Error ? err.message : 'invalid resource',
      },
    ];
  }
}

function fromMedplum(i: OperationOutcomeIssue): FhirIssue {
  const expression = i.expression?.[0];
  return {
    severity: 'error',
    code: (i.code ?? 'structure') as IssueCode,
    rule: structuralRule(i),
    ...(expression ? { expression } : {}),
    message: `${i.details?.text ?? i.diagnostics ?? 'invalid'}${expression ? ` (${expression})` : ''}`,
  };
}

const TYPE_CHECKS = new Set([
  'Patient',
  'ServiceRequest',
  'Observation',
  'DiagnosticReport',
  'Appointment',
  'Schedule',
  'Slot',
]);

/**
 * Validates an incoming resource: FHIR R4 base structure (@medplum/core against the R4
 * StructureDefinitions) plus the Trellis rules. One issue per problem, each with a rule id and
 * the element path.
 */
export function validateFhirResource(
  body: unknown,
  options: ValidateOptions = {},
): ValidationResult {
  const fail = (status: 400 | 422, issues: readonly FhirIssue[]): ValidationResult => ({
    valid: false,
    status,
    issues: [...issues],
  });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail(400, [
      {
        severity: 'error',
        code: 'structure',
        rule: 'fhir.json',
        message: 'the body must be a JSON object (a FHIR resource)',
      },
    ]);
  }
  const resource = body as Record<string, unknown>;
  const type = resource['resourceType'];
  if (typeof type !== 'string' || (options.resourceType && type !== options.resourceType)) {
    return fail(400, [
      {
        severity: 'error',
        code: 'invalid',
        rule: 'fhir.resource-type',
        expression: 'resourceType',
        message: `resourceType must be ${options.resourceType ?? 'a FHIR resource type'}, got ${typeof type === 'string' ? type : 'none'}`,
      },
    ]);
  }
  const issues: FhirIssue[] = [];
  if (options.mode === 'update' && options.id !== undefined && resource['id'] !== options.id) {
    issues.push({
      severity: 'error',
      code: 'invalid',
      rule: 'fhir.id-mismatch',
      expression: `${type}.id`,
      message: `resource id ${String(resource['id'] ?? '(none)')} does not match the URL id ${options.id}`,
    });
  }
  // JSON types first: the detailed validator, the Trellis rules and the mappers only ever see a
  // body whose every element has its FHIR type (no string walked as an array, no 500 in a mapper).
  loadFhirDefinitions();
  const shape = shapeIssues(resource, type);
  if (shape.length > 0) return fail(400, capIssues(issues.concat(shape)));
  for (const issue of structural(resource as unknown as Resource)) issues.push(issue);
  const structuralFailed = issues.length > 0;
  if (TYPE_CHECKS.has(type)) {
    const now = options.now ?? new Date();
    const rules = trellisRules(
      resource,
      { today: now.toISOString().slice(0, 10) },
      options.mode ?? 'create',
    );
    for (const issue of rules) issues.push(issue);
  }
  if (issues.length === 0) return { valid: true, status: 200, issues: [] };
  return fail(structuralFailed ? 400 : 422, capIssues(issues));
}

/** Validates a resource the facade produced (outbound check: every answer passes the validator). */
export function structuralIssues(resource: Resource): FhirIssue[] {
  return structural(resource);
}
