import { parseScope } from './scopes';

/** IHE BALP / FHIR AuditEvent.action codes. */
export type AuditAction = 'C' | 'R' | 'U' | 'D' | 'E';

/** What a patient-data call concerns, for the access audit (all optional: unknown stays empty). */
export interface AuditSubject {
  /** Patient NHS number (https://fhir.nhs.uk/Id/nhs-number). */
  nhsNumber?: string;
  /** A search's further returned patients (after `nhsNumber`), in answer order. */
  morePatients?: readonly string[];
  /** Logical id of the resource touched (e.g. appointment id). */
  resourceId?: string;
}

/**
 * Extracts the audit subject from the call. `request` is the decoded gRPC message (or for HTTP the
 * Express request); `response` is set only for allowed calls that returned.
 */
export type AuditSubjectExtractor = (
  request: unknown,
  response?: unknown,
) => AuditSubject | undefined;

export interface ProtectedRule {
  /** The scope the caller's token must satisfy (SMART v2 letter-subset semantics). */
  scope: string;
  /** Touches patient data: every call, allowed or denied, is written to the access audit. */
  patientData?: boolean;
  /** FHIR resource type for the audit; defaults to the scope's resource type. */
  resourceType?: string;
  /** Audit action; defaults from the scope letters (c→C, r/s→R, u→U, d→D, Trellis scopes→E). */
  action?: AuditAction;
  /** How to find the patient / resource id for the audit event. */
  subject?: AuditSubjectExtractor;
  /**
   * A citizen's patient token may call this too (with the `patient/` twin of `scope`), for their
   * own record only (see patient-access.ts). Absent: patient tokens are refused (fail closed).
   */
  patientAccess?: true;
  public?: never;
}

/** Explicitly unauthenticated entry (token endpoint, well-known documents, health). */
export interface PublicRule {
  public: true;
  scope?: never;
  patientData?: never;
}

export type ScopeRule = ProtectedRule | PublicRule;

/**
 * One table per service. Keys are either full gRPC method paths
 * (`/trellis.identity.v1.PatientService/GetPatient`) or HTTP routes as Express sees them
 * (`GET /fhir/Patient/:id`). A call whose key is not in the table is denied (fail closed).
 */
export type ScopeTable = Readonly<Record<string, ScopeRule>>;

const GRPC_KEY = /^\/[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.[A-Z][A-Za-z0-9]*\/[A-Z][A-Za-z0-9]*$/;
const HTTP_KEY = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \/\S*$/;

/** Validates and freezes a scope table; throws at module load on any malformed entry. */
export function defineScopeTable(table: Record<string, ScopeRule>): ScopeTable {
  const problems: string[] = [];
  for (const [key, rule] of Object.entries(table)) {
    if (!GRPC_KEY.test(key) && !HTTP_KEY.test(key)) {
      problems.push(`${key}: key must be "/pkg.Service/Method" or "VERB /path"`);
    }
    if (rule.public === true) continue;
    if (typeof rule.scope !== 'string' || !parseScope(rule.scope)) {
      problems.push(`${key}: unknown or malformed scope ${String(rule.scope)}`);
    }
  }
  if (problems.length > 0) throw new Error(`Invalid scope table:\n  ${problems.join('\n  ')}`);
  return Object.freeze({ ...table });
}

/** Looks up a rule; undefined means "not declared" and must be denied by the caller. */
export function findRule(table: ScopeTable, key: string): ScopeRule | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

/** Default audit action and resource type derived from the rule's scope. */
export function auditShapeOf(rule: ProtectedRule): { action: AuditAction; resourceType: string } {
  const fromScope = scopeAuditShape(rule.scope);
  return {
    action: rule.action ?? fromScope.action,
    // an empty resourceType names none, as an absent one
    resourceType: rule.resourceType ? rule.resourceType : fromScope.resourceType,
  };
}

/**
 * What a required scope says of the audit record (action, resource type), remembered per scope
 * string: the audit interceptor asks it for every patient-data call, and parsing the scope again
 * each time was ≈ 1 % of the gateway's read allocations (issue 23). The tables' scopes are few.
 */
const scopeAuditShapes = new Map<string, Readonly<{ action: AuditAction; resourceType: string }>>();
function scopeAuditShape(scope: string): Readonly<{ action: AuditAction; resourceType: string }> {
  const known = scopeAuditShapes.get(scope);
  if (known) return known;
  const parsed = parseScope(scope);
  let action: AuditAction = 'E';
  let resourceType = '';
  if (parsed?.kind === 'resource') {
    const p = parsed.permissions;
    action = p.has('c') ? 'C' : p.has('u') ? 'U' : p.has('d') ? 'D' : 'R';
    if (parsed.resourceType !== '*') resourceType = parsed.resourceType;
  }
  const shape = Object.freeze({ action, resourceType });
  if (scopeAuditShapes.size >= 1_024) scopeAuditShapes.clear();
  scopeAuditShapes.set(scope, shape);
  return shape;
}

/**
 * One rule for several methods of a gRPC service (the changes of one record by its parties, say):
 * `{ '/pkg.Service/Method': rule, ... }`, spread into a table.
 */
export function sameRuleFor(
  service: string,
  methods: readonly string[],
  rule: ScopeRule,
): Record<string, ScopeRule> {
  return Object.fromEntries(methods.map((method) => [`${service}/${method}`, rule]));
}
