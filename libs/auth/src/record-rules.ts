// The rules a platform's scope table gives the calls on its patient records (an appointment, a
// referral, a report): one FHIR resource type's SMART scopes, every call patient data, the audit
// subject found the same way for each record. A table takes them by name instead of restating the
// scope, the audit flag and the subject for every method.
import {
  type FieldPath,
  populationExportRule,
  type ResourceIdSubjectSpec,
  subjectByResourceId,
  subjectOfCreation,
  subjectOfRequestedPatient,
  subjectOfVersions,
} from './audit-subject';
import type { AuditSubjectExtractor, ProtectedRule } from './scope-table';

/** The rules of the calls on one kind of patient record (see patientRecordRules). */
export interface PatientRecordRules {
  /** The audit subject of a call addressed by the record's id (the response names the patient). */
  readonly byId: AuditSubjectExtractor;
  /** Creating a record: the request names its patient at `nhsNumber`, the answer the record. */
  create(nhsNumber: FieldPath): ProtectedRule;
  /** Reading one record by id. */
  readonly read: ProtectedRule;
  /** A change of one record by one of its parties, addressed by its id. */
  readonly update: ProtectedRule;
  /** A read of the record's versions: `answered` is where the answer holds one with its patient. */
  versions(answered: FieldPath): ProtectedRule;
  /** A list naming many patients (a worklist): audited as the organisation's search, no subject. */
  readonly worklist: ProtectedRule;
  /** A search of one patient's records, also by the citizen for their own ($everything). */
  readonly patientSearch: ProtectedRule;
  /** The bulk read of a region's population for $export (populationExportRule). */
  readonly populationExport: ProtectedRule;
}

/**
 * The rules of the calls on a patient record of FHIR type `resourceType` that the calls address by
 * id (`record`: where the response holds it and the request its id):
 *
 *   const referral = patientRecordRules('ServiceRequest', { response: 'referral', requestId: 'referralId' });
 *   [`${REFERRAL}/AcceptReferral`]: referral.update,   // system/ServiceRequest.u, audited by id
 */
export function patientRecordRules(
  resourceType: string,
  record: ResourceIdSubjectSpec,
): PatientRecordRules {
  const scope = (access: 'c' | 'r' | 'u' | 's') => `system/${resourceType}.${access}`;
  const byId = subjectByResourceId(record);
  return {
    byId,
    create: (nhsNumber) => ({
      scope: scope('c'),
      patientData: true,
      subject: subjectOfCreation({ nhsNumber, response: record.response }),
    }),
    read: { scope: scope('r'), patientData: true, subject: byId },
    update: { scope: scope('u'), patientData: true, subject: byId },
    versions: (answered) => ({
      scope: scope('r'),
      patientData: true,
      subject: subjectOfVersions({ requestId: record.requestId, answered }),
    }),
    worklist: { scope: scope('s'), patientData: true },
    patientSearch: {
      scope: scope('s'),
      patientData: true,
      patientAccess: true,
      subject: subjectOfRequestedPatient(),
    },
    populationExport: populationExportRule(resourceType),
  };
}
