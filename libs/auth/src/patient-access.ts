// Patient (citizen) access tokens: what a citizen signed in through OpenID Connect (NHS login in
// production) may do with the patient-bound token the gateway exchanged for their ID token.
import type { Caller } from './caller';
import { AuthError, AuthErrorCode } from './errors';
import type { ProtectedRule } from './scope-table';

/** `sub` (and client_id) prefix of every patient token: `citizen:<identity provider subject>`. */
export const CITIZEN_SUBJECT_PREFIX = 'citizen:';

/** The scopes every patient token carries (SMART v2): read/search their own compartment, flag. */
export const PATIENT_TOKEN_SCOPES = ['patient/*.rs', 'patient/AuditEvent.u'] as const;

/** True when the caller is a citizen holding a patient token. */
export function isPatientCaller(caller: Caller): caller is Caller & { patient: string } {
  return typeof caller.patient === 'string' && caller.patient.length > 0;
}

/**
 * The scope the caller must hold for this rule. A system caller needs the rule's scope. A citizen
 * may call only rules that admit patients (`patientAccess`), and needs the patient-context twin
 * of the rule's scope (`system/Patient.r` → `patient/Patient.r`; SMART: the patient compartment).
 */
export function requiredScopeOf(caller: Caller, rule: ProtectedRule): string {
  if (!isPatientCaller(caller)) return rule.scope;
  if (!rule.patientAccess || !rule.scope.startsWith('system/'))
    throw new AuthError(
      AuthErrorCode.InsufficientScope,
      'not available to a patient token',
      'rule does not admit patients',
    );
  return `patient/${rule.scope.slice('system/'.length)}`;
}

/**
 * A citizen's call that names a patient (the rule's audit subject, from the request) must name
 * their own: anyone else's record is refused before any service looks it up. Calls that name the
 * patient only in the answer (a record by id) are checked by the service that holds it.
 */
export function assertOwnPatient(caller: Caller, rule: ProtectedRule, request: unknown): void {
  if (!isPatientCaller(caller)) return;
  let named: string | undefined;
  try {
    named = rule.subject?.(request)?.nhsNumber;
  } catch {
    named = undefined;
  }
  if (named !== undefined && named !== caller.patient)
    throw new AuthError(
      AuthErrorCode.InsufficientScope,
      "not this patient's record",
      'patient token names another patient',
    );
}
