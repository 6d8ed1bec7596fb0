import type { AuditEvent } from '@medplum/fhirtypes';
import type { AuditSubject, AuditSubjectExtractor } from '@trellis/auth';
import { NHS_NUMBER_SYSTEM, validateNhsNumber } from '@trellis/fhir';

/**
 * The audit subject of a Patient search: an identifier lookup names one patient, whose access log
 * must show it, even when nothing matched; a demographic trace names the patients it returned.
 */
export const patientIdentifierSubject: AuditSubjectExtractor = (req, res): AuditSubject => {
  const returned = returnedPatients(res);
  const raw = (req as { query?: Record<string, unknown> }).query?.['identifier'];
  const value = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw[0] : undefined;
  if (typeof value !== 'string') return returned;
  const [system, nhs] = value.includes('|') ? value.split('|', 2) : [NHS_NUMBER_SYSTEM, value];
  return system === NHS_NUMBER_SYSTEM && nhs && validateNhsNumber(nhs).valid
    ? { nhsNumber: nhs }
    : returned;
};

/**
 * The patients a Patient search answered (searchset matches, in order): the first as the record's
 * patient, the others as its further patients — so a demographic trace shows in the log of every
 * patient it returned (libs/auth caps how many one record names: MAX_AUDITED_PATIENTS).
 */
function returnedPatients(res: unknown): AuditSubject {
  const entries = (res as { resourceType?: string; entry?: unknown[] } | undefined)?.entry;
  if ((res as { resourceType?: string } | undefined)?.resourceType !== 'Bundle' || !entries)
    return {};
  const ids = entries.flatMap((e) => {
    const r = (e as { resource?: { resourceType?: string; id?: string } }).resource;
    return r?.resourceType === 'Patient' && r.id && validateNhsNumber(r.id).valid ? [r.id] : [];
  });
  const [first, ...more] = ids;
  return first ? { nhsNumber: first, ...(more.length ? { morePatients: more } : {}) } : {};
}

/** The audit subject of an AuditEvent read: its id, and the patient from the answer. */
export const auditReadSubject: AuditSubjectExtractor = (req, res): AuditSubject => {
  const id = (req as { params?: { id?: string } }).params?.id;
  const patient = (res as AuditEvent | undefined)?.entity?.find(
    (e) => e.what?.identifier?.system === NHS_NUMBER_SYSTEM,
  )?.what?.identifier?.value;
  return { ...(id ? { resourceId: id } : {}), ...(patient ? { nhsNumber: patient } : {}) };
};
