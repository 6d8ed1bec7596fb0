import { createHash } from 'node:crypto';

import { CITIZEN_SUBJECT_PREFIX } from '@trellis/auth';
import { events, fromTimestamp } from '@trellis/contracts';
import { PoisonMessageError } from '@trellis/events';

/** IHE BALP purpose of use (v3-PurposeOfUse): why the access was made. */
export type PurposeOfUse = 'TREAT' | 'HOPERAT' | 'PATRQT';

/** One access as stored (a row of access_events). */
export interface AccessRow {
  auditId: string;
  recordedAt: Date;
  action: string;
  outcome: string;
  outcomeDescription: string;
  interaction: string;
  systemId: string;
  odsCode: string;
  region: string;
  userId: string;
  patientNhsNumber: string;
  resourceType: string;
  resourceId: string;
  sourceService: string;
  traceId: string;
  requiredScope: string;
  purposeOfUse: PurposeOfUse;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const ACTIONS = ['C', 'R', 'U', 'D', 'E'] as const;
export const OUTCOMES = ['0', '4', '8', '12'] as const;

/**
 * Why the access was made: a citizen's patient token (sub citizen:…) is the patient's own
 * request; the national operator's administration scope, and any system's reading of
 * the audit itself (investigations), are operations; anything else a connected care system does
 * is care (treatment).
 */
export function purposeOfUseOf(
  requiredScope: string,
  resourceType = '',
  systemId = '',
): PurposeOfUse {
  if (requiredScope.startsWith('patient/') || systemId.startsWith(CITIZEN_SUBJECT_PREFIX))
    return 'PATRQT';
  if (requiredScope.startsWith('trellis/') || resourceType === 'AuditEvent') return 'HOPERAT';
  return 'TREAT';
}

/**
 * The row of an AccessRecorded event. Malformed events (no uuid, no time, unknown action or
 * outcome) are poison: they go to the dead-letter topic instead of blocking the partition.
 * The time is kept to the millisecond (what every producer records), so keyset cursors are exact.
 */
export function accessRowOf(event: events.v1.AccessRecorded): AccessRow {
  if (!UUID.test(event.auditId)) throw new PoisonMessageError(`audit_id is not a uuid`);
  if (!event.recordedAt) throw new PoisonMessageError('recorded_at is missing');
  const recordedAt = fromTimestamp(event.recordedAt);
  if (Number.isNaN(recordedAt.getTime())) throw new PoisonMessageError('recorded_at is invalid');
  if (!(ACTIONS as readonly string[]).includes(event.action))
    throw new PoisonMessageError(`unknown action ${JSON.stringify(event.action)}`);
  if (!(OUTCOMES as readonly string[]).includes(event.outcome))
    throw new PoisonMessageError(`unknown outcome ${JSON.stringify(event.outcome)}`);
  return {
    auditId: event.auditId.toLowerCase(),
    recordedAt,
    action: event.action,
    outcome: event.outcome,
    outcomeDescription: event.outcomeDescription,
    interaction: event.interaction,
    systemId: event.systemId,
    odsCode: event.odsCode,
    region: event.region,
    userId: event.userId,
    patientNhsNumber: event.patientNhsNumber,
    resourceType: event.resourceType,
    resourceId: event.resourceId,
    sourceService: event.sourceService,
    traceId: event.traceId,
    requiredScope: event.requiredScope,
    purposeOfUse: purposeOfUseOf(event.requiredScope, event.resourceType, event.systemId),
  };
}

/**
 * The rows of an AccessRecorded event: its own, and for a search that returned several patients
 * one more per further patient (same access, that patient, a name-based id), so each patient's
 * log shows the search — and no patient's log names another patient.
 */
export function accessRowsOf(event: events.v1.AccessRecorded): {
  row: AccessRow;
  more: AccessRow[];
} {
  const row = accessRowOf(event);
  const others = [...new Set(event.morePatientNhsNumbers)].filter(
    (n) => /^\d{10}$/.test(n) && n !== row.patientNhsNumber,
  );
  return {
    row,
    more: others.map((nhs) => ({
      ...row,
      auditId: patientAuditId(row.auditId, nhs),
      patientNhsNumber: nhs,
    })),
  };
}

/**
 * The id of a further patient's row: a name-based UUID (RFC 9562 version 5 layout, SHA-1) of the
 * record's id and the NHS number — the same on every replay, so the row is stored once.
 */
export function patientAuditId(auditId: string, nhs: string): string {
  const h = createHash('sha1').update(`${auditId}|${nhs}`).digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
