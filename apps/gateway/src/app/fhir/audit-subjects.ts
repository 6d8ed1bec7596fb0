import type { AuditSubject, AuditSubjectExtractor } from '@trellis/auth';
import { NHS_NUMBER_SYSTEM, validateNhsNumber } from '@trellis/fhir';

/**
 * The audit subject of a Patient search: an identifier lookup names one patient, whose access log
 * must show it (a demographic trace names no one patient until it answers).
 */
export const patientIdentifierSubject: AuditSubjectExtractor = (req): AuditSubject => {
  const raw = (req as { query?: Record<string, unknown> }).query?.['identifier'];
  const value = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw[0] : undefined;
  if (typeof value !== 'string') return {};
  const [system, nhs] = value.includes('|') ? value.split('|', 2) : [NHS_NUMBER_SYSTEM, value];
  return system === NHS_NUMBER_SYSTEM && nhs && validateNhsNumber(nhs).valid
    ? { nhsNumber: nhs }
    : {};
};
