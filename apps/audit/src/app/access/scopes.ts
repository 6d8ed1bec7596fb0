import { defineScopeTable, subjectByResourceId } from '@trellis/auth';

const AUDIT = '/trellis.audit.v1.AuditService';

const byAuditId = subjectByResourceId({
  response: 'event',
  requestId: 'auditId',
  id: 'auditId',
  nhsNumber: 'patientNhsNumber',
});

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
