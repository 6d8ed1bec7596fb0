import { defineScopeTable, TRELLIS_SCOPES } from '@trellis/auth';

/**
 * The identity service's one scope table: every PatientService method, its SMART v2 scope and the
 * patient it concerns (for the access audit). TracePatients needs system/Patient.r; callers that
 * also hold system/Patient.s get multiple hits, the others PDS-style single-match only.
 */
const M = '/trellis.identity.v1.PatientService/';

type WithNhs = { nhsNumber?: string };
const requestNhs = (req: unknown) => ({
  nhsNumber: (req as WithNhs | undefined)?.nhsNumber || undefined,
});
const responsePatientNhs = (_req: unknown, res?: unknown) => ({
  nhsNumber: (res as { patient?: WithNhs } | undefined)?.patient?.nhsNumber || undefined,
});

export const IDENTITY_SCOPES = defineScopeTable({
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
  [`${M}ListPatients`]: {
    scope: 'region/*/population.read',
    patientData: true,
    resourceType: 'Patient',
    action: 'E',
    subject: () => ({}),
  },
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
