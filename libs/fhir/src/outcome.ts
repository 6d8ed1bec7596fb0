import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { RESULTS_ERRORS, VERSION_CONFLICT_ERROR_CODE } from '@trellis/contracts';
import { STATUS_TABLE, statusOfGrpcCode } from '@trellis/service-kit';

/** Code system of Trellis conformance rule ids (carried in `issue.details.coding`). */
export const TRELLIS_RULE_SYSTEM = 'https://fhir.trellis.nhs.uk/CodeSystem/conformance-rule';

export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';
export type IssueCode = NonNullable<OperationOutcomeIssue['code']>;

/** One problem found in a request: what broke, where, and which Trellis rule says so. */
export interface FhirIssue {
  severity: IssueSeverity;
  code: IssueCode;
  /** Trellis rule id, e.g. `nhs-number.check-digit`, `fhir.structure`. */
  rule: string;
  /** FHIRPath of the element, e.g. `Patient.identifier[0].value`. */
  expression?: string;
  message: string;
}

/** Most issues one OperationOutcome carries; the last one then says how many more were found. */
export const MAX_OUTCOME_ISSUES = 100;
const MAX_MESSAGE_CHARS = 1_000;
const MAX_EXPRESSION_CHARS = 300;

// what a FHIR string may not hold: C0 controls other than tab/LF/CR, lone surrogates
const NOT_FHIR_TEXT =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Bounded, valid FHIR text (a message may echo a client's value, NUL bytes included). */
function clip(s: string, max: number): string {
  const text = s.length <= max ? s : `${s.slice(0, max - 1)}…`;
  return text.replace(NOT_FHIR_TEXT, '\uFFFD');
}

/**
 * At most `max` issues: the first `max - 1` and a final one saying how many more there were (an
 * answer never grows with the size of a bad request).
 */
export function capIssues(
  issues: readonly FhirIssue[],
  max: number = MAX_OUTCOME_ISSUES,
): readonly FhirIssue[] {
  if (issues.length <= max) return issues;
  const kept = issues.slice(0, max - 1);
  return [
    ...kept,
    {
      severity: 'information',
      code: 'too-costly',
      rule: 'fhir.issues-truncated',
      message: `${issues.length - kept.length} more issues not shown (at most ${max} per OperationOutcome)`,
    },
  ];
}

export function toOperationOutcomeIssue(issue: FhirIssue): OperationOutcomeIssue {
  const message = clip(issue.message, MAX_MESSAGE_CHARS);
  return {
    severity: issue.severity,
    code: issue.code,
    details: {
      coding: [{ system: TRELLIS_RULE_SYSTEM, code: issue.rule }],
      text: message,
    },
    diagnostics: message,
    ...(issue.expression ? { expression: [clip(issue.expression, MAX_EXPRESSION_CHARS)] } : {}),
  };
}

export function operationOutcome(issues: readonly FhirIssue[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: capIssues(issues).map(toOperationOutcomeIssue),
  };
}

/** The rule ids of an OperationOutcome (test and scorecard helper). */
export function rulesOf(outcome: OperationOutcome): string[] {
  return (outcome.issue ?? []).flatMap((i) =>
    (i.details?.coding ?? [])
      .filter((c) => c.system === TRELLIS_RULE_SYSTEM && c.code)
      .map((c) => c.code as string),
  );
}

/**
 * An error answered as an OperationOutcome with an HTTP status. Thrown by FHIR handlers; the
 * facade's exception filter writes it (never a stack).
 */
export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly issues: readonly FhirIssue[],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(issues[0]?.message ?? `HTTP ${status}`);
    this.name = 'FhirError';
  }

  get outcome(): OperationOutcome {
    return operationOutcome(this.issues);
  }

  static of(
    status: number,
    code: IssueCode,
    rule: string,
    message: string,
    expression?: string,
    headers?: Record<string, string>,
  ): FhirError {
    return new FhirError(
      status,
      [{ severity: 'error', code, rule, message, ...(expression ? { expression } : {}) }],
      headers,
    );
  }
}

/** gRPC status numbers → canonical names (the platform's status table). */
export function kindOfGrpcCode(code: number): string {
  return statusOfGrpcCode(code).name;
}

export interface DecodedPlatformError {
  /** gRPC status code number. */
  code: number;
  message: string;
  /** Domain error code (ErrorInfo.reason), e.g. PATIENT_NOT_FOUND. */
  reason?: string;
  correlationId?: string;
  fieldViolations: ReadonlyArray<{ field: string; rule?: string; message?: string }>;
}

/** The platforms' reasons (their catalogues) for an expected version that is not the current one. */
export const STALE_VERSION_REASONS: ReadonlySet<string> = new Set([
  VERSION_CONFLICT_ERROR_CODE.VersionConflict[0],
  RESULTS_ERRORS.codes.VersionMismatch[0],
]);

/**
 * A platform's gRPC error → FhirError. A stale expected version (ABORTED with a reason of
 * STALE_VERSION_REASONS) is 412 precondition-failed with the platform's message. Field violations become one issue each (rule = the
 * platform's rule id); internal errors never echo the platform's message.
 */
export function fhirErrorFromPlatform(
  err: DecodedPlatformError,
  resourceType: string,
  fieldPath: (field: string) => string | undefined = () => undefined,
): FhirError {
  // a change based on a stale version (the caller's If-Match) is FHIR's 412, not a lost race's 409
  if (err.code === STATUS_TABLE.ABORTED.grpc && STALE_VERSION_REASONS.has(err.reason ?? ''))
    return FhirError.of(412, 'conflict', 'http.precondition-failed', err.message);
  // a failure reported with OK (never sent by grpc) is an unknown failure
  const known = statusOfGrpcCode(err.code);
  const row = known.http >= 400 ? known : STATUS_TABLE.UNKNOWN;
  const kind = row.name;
  const mapped: { status: number; code: IssueCode } = { status: row.http, code: row.fhirIssue };
  const internal = mapped.status >= 500 && mapped.status !== 503 && mapped.status !== 504;
  const message = internal
    ? `Internal error${err.correlationId ? ` (correlation id ${err.correlationId})` : ''}`
    : err.message;
  const rule = `platform.${(err.reason ?? kind).toLowerCase().replace(/_/g, '-')}`;
  if (!internal && err.fieldViolations.length > 0) {
    return new FhirError(
      mapped.status,
      err.fieldViolations.map((v) => {
        const expression = fieldPath(v.field);
        return {
          severity: 'error' as const,
          code: mapped.code,
          rule: v.rule ? `platform.${v.rule}` : rule,
          message: v.message ?? message,
          ...(expression ? { expression } : { expression: `${resourceType}` }),
        };
      }),
    );
  }
  return FhirError.of(mapped.status, mapped.code, rule, message);
}
