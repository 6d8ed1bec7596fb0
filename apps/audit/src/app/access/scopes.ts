import { defineScopeTable, type AuditSubject } from '@trellis/auth';

const AUDIT = '/trellis.audit.v1.AuditService';

type WithEvent = { event?: { auditId?: string; patientNhsNumber?: string } } | undefined;

function byAuditId(req: unknown, res?: unknown): AuditSubject {
  const r = res as WithEvent;
  return {
    resourceId: r?.event?.auditId || (req as { auditId?: string }).auditId,
    nhsNumber: r?.event?.patientNhsNumber || undefined,
  };
}

/**
 * The audit store's one scope table. Reading the audit of a patient is itself an access to that
 * patient's data, so every call is audited too (a citizen sees their own reads of their log).
 * Who sees which records (operator, own organisation, own record) is AuditService's job.
 */
export const AUDIT_SCOPES = defineScopeTable({
  [`${AUDIT}/SearchAccessEvents`]: {
    scope: 'system/AuditEvent.s',
    patientData: true,
    patientAccess: true,
    resourceType: 'AuditEvent',
    subject: (req) => ({
      nhsNumber: (req as { patientNhsNumber?: string }).patientNhsNumber || undefined,
    }),
  },
  [`${AUDIT}/GetAccessEvent`]: {
    scope: 'system/AuditEvent.r',
    patientData: true,
    patientAccess: true,
    resourceType: 'AuditEvent',
    subject: byAuditId,
  },
  [`${AUDIT}/FlagAccessEvent`]: {
    // a citizen's patient token (patient/AuditEvent.u); AuditService refuses every other caller
    scope: 'system/AuditEvent.u',
    patientData: true,
    patientAccess: true,
    resourceType: 'AuditEvent',
    action: 'E',
    subject: byAuditId,
  },
});
