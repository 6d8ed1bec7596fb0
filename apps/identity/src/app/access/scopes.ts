import {
  defineScopeTable,
  populationExportRule,
  subjectOfRequestedPatient,
  subjectOfVersions,
  TRELLIS_SCOPES,
} from '@trellis/auth';

/**
 * The identity service's one scope table: every PatientService method, its SMART v2 scope and the
 * patient it concerns (for the access audit). TracePatients needs system/Patient.r; callers that
 * also hold system/Patient.s get multiple hits, the others PDS-style single-match only.
 */
const M = '/trellis.identity.v1.PatientService/';
const R = '/trellis.records.v1.RecordLocatorService/';

type WithNhs = { nhsNumber?: string };
const requestNhs = subjectOfRequestedPatient();
const responsePatientNhs = (_req: unknown, res?: unknown) => ({
  nhsNumber: (res as { patient?: WithNhs } | undefined)?.patient?.nhsNumber || undefined,
});

type WithPointer = { pointer?: { id?: string; nhsNumber?: string } };
/** A pointer's patient and id, from the answer (a refused call: from the request). */
const pointerSubject = (req: unknown, res?: unknown) => {
  const r = res as (WithPointer & { version?: WithPointer }) | undefined;
  const answered = r?.pointer ?? r?.version?.pointer;
  const asked = req as (WithPointer & { id?: string; replacesId?: string }) | undefined;
  return {
    nhsNumber: answered?.nhsNumber || asked?.pointer?.nhsNumber || undefined,
    resourceId: answered?.id || asked?.id || asked?.replacesId || undefined,
  };
};

/** A pointer's history: its id from the request, its patient from the versions answered. */
const versionsSubject = subjectOfVersions({
  requestId: 'id',
  answered: ['versions', 0, 'pointer'],
});

/** The record locator (RecordLocatorService, served by identity): DocumentReference scopes. */
const RECORD_LOCATOR_SCOPES = {
  [`${R}CreatePointer`]: {
    scope: 'system/DocumentReference.c',
    patientData: true,
    resourceType: 'DocumentReference',
    subject: pointerSubject,
  },
  [`${R}SupersedePointer`]: {
    scope: 'system/DocumentReference.u',
    patientData: true,
    resourceType: 'DocumentReference',
    subject: pointerSubject,
  },
  [`${R}DeletePointer`]: {
    scope: 'system/DocumentReference.d',
    patientData: true,
    resourceType: 'DocumentReference',
    subject: pointerSubject,
  },
  [`${R}GetPointer`]: {
    scope: 'system/DocumentReference.r',
    patientData: true,
    resourceType: 'DocumentReference',
    subject: pointerSubject,
  },
  // a version is a read of the pointer (as Patient's vread and history)
  [`${R}GetPointerVersion`]: {
    scope: 'system/DocumentReference.r',
    patientData: true,
    resourceType: 'DocumentReference',
    subject: pointerSubject,
  },
  [`${R}ListPointerVersions`]: {
    scope: 'system/DocumentReference.r',
    patientData: true,
    resourceType: 'DocumentReference',
    subject: versionsSubject,
  },
  // a search names its patient: audited as a read of that patient's pointers
  [`${R}SearchPointers`]: {
    scope: 'system/DocumentReference.s',
    patientData: true,
    resourceType: 'DocumentReference',
    subject: requestNhs,
  },
} as const;

export const IDENTITY_SCOPES = defineScopeTable({
  ...RECORD_LOCATOR_SCOPES,
  [`${M}RegisterPatient`]: {
    scope: 'system/Patient.c',
    patientData: true,
    resourceType: 'Patient',
    subject: responsePatientNhs,
  },
  [`${M}GetPatient`]: {
    scope: 'system/Patient.r',
    patientData: true,
    patientAccess: true, // a citizen reads their own record (libs/auth patient-access)
    resourceType: 'Patient',
    subject: requestNhs,
  },
  [`${M}TracePatients`]: {
    scope: 'system/Patient.r',
    patientData: true,
    resourceType: 'Patient',
    action: 'E',
    // a single hit names the patient traced; multiple hits are audited as a query
    subject: (_req: unknown, res?: unknown) => {
      const hits = (res as { hits?: Array<{ patient?: WithNhs }> } | undefined)?.hits ?? [];
      return hits.length === 1 ? { nhsNumber: hits[0]?.patient?.nhsNumber || undefined } : {};
    },
  },
  [`${M}UpdatePatient`]: {
    scope: 'system/Patient.u',
    patientData: true,
    resourceType: 'Patient',
    subject: requestNhs,
  },
  [`${M}GetPatientHistory`]: {
    scope: 'system/Patient.r',
    patientData: true,
    resourceType: 'Patient',
    subject: requestNhs,
  },
  [`${M}GetPatientVersion`]: {
    scope: 'system/Patient.r',
    patientData: true,
    resourceType: 'Patient',
    subject: requestNhs,
  },
  [`${M}MarkDeceased`]: {
    scope: 'system/Patient.u',
    patientData: true,
    resourceType: 'Patient',
    subject: requestNhs,
  },
  // bulk export: the region is checked by the handler (mayActInRegion); audited as a query
  [`${M}ListPatients`]: populationExportRule('Patient'),
  // merging two records is national identity administration, not an update of one record
  [`${M}MergePatients`]: {
    scope: TRELLIS_SCOPES.identityAdmin,
    action: 'U',
    patientData: true,
    resourceType: 'Patient',
    subject: (req: unknown) => ({
      nhsNumber:
        (req as { supersededNhsNumber?: string } | undefined)?.supersededNhsNumber || undefined,
      resourceId:
        (req as { survivorNhsNumber?: string } | undefined)?.survivorNhsNumber || undefined,
    }),
  },
});
