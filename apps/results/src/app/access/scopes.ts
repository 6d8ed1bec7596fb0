import {
  defineScopeTable,
  populationExportRule,
  subjectByResourceId,
  subjectOfCreation,
  subjectOfRequestedPatient,
  subjectOfVersions,
} from '@trellis/auth';

const REPORT = '/trellis.results.v1.ReportService';

/** Audit subject for calls addressed by report id: the response names the patient. */
const byReportId = subjectByResourceId({ response: 'report', requestId: 'reportId' });

/** A change of one report by the performing lab or the requester, addressed by its id. */
const update = {
  scope: 'system/DiagnosticReport.u',
  patientData: true,
  subject: byReportId,
} as const;

/**
 * The results platform's one scope table: every gRPC method, its SMART v2 scope, and whether it
 * touches patient data (all do: every call, allowed or denied, is written to the access audit).
 * Visibility (only the performing lab and the requesting organisation see a report) is enforced
 * by ReportsService with the caller's ODS code.
 */
export const RESULTS_SCOPES = defineScopeTable({
  [`${REPORT}/SubmitReport`]: {
    scope: 'system/DiagnosticReport.c',
    patientData: true,
    subject: subjectOfCreation({ nhsNumber: ['report', 'nhsNumber'], response: 'report' }),
  },
  // A batch names many patients: audited as one create by the lab, without one subject.
  [`${REPORT}/SubmitReports`]: { scope: 'system/DiagnosticReport.c', patientData: true },
  [`${REPORT}/AmendReport`]: update,
  [`${REPORT}/CancelReport`]: update,
  [`${REPORT}/GetReport`]: {
    scope: 'system/DiagnosticReport.r',
    patientData: true,
    subject: byReportId,
  },
  [`${REPORT}/ListReportVersions`]: {
    scope: 'system/DiagnosticReport.r',
    patientData: true,
    subject: subjectOfVersions({ requestId: 'reportId', answered: ['versions', 0] }),
  },
  [`${REPORT}/SearchReports`]: {
    scope: 'system/DiagnosticReport.s',
    patientData: true,
    patientAccess: true, // a citizen's own results ($everything)
    subject: subjectOfRequestedPatient(),
  },
  [`${REPORT}/AcknowledgeReport`]: update,
  // The safety net names many patients: audited as a search by the organisation, without one subject.
  [`${REPORT}/ListUnacknowledgedReports`]: {
    scope: 'system/DiagnosticReport.s',
    patientData: true,
  },
  // bulk export (the gateway's $export worker as the job's owner; not on the front door): the
  // patients are the gateway's regional list at identity; audited by the gateway per file
  '/trellis.results.v1.ReportExportService/ListReportsForPatients':
    populationExportRule('DiagnosticReport'),
});
