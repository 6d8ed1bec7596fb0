import { defineScopeTable, patientRecordRules, sameRuleFor } from '@trellis/auth';

const REPORT = '/trellis.results.v1.ReportService';

/** A report, addressed by its id. */
const report = patientRecordRules('DiagnosticReport', {
  response: 'report',
  requestId: 'reportId',
});

/**
 * The results platform's one scope table: every gRPC method, its SMART v2 scope, and whether it
 * touches patient data (all do: every call, allowed or denied, is written to the access audit).
 * Visibility (only the performing lab and the requesting organisation see a report) is enforced
 * by ReportsService with the caller's ODS code.
 */
export const RESULTS_SCOPES = defineScopeTable({
  [`${REPORT}/SubmitReport`]: report.create(['report', 'nhsNumber']),
  // A batch names many patients: audited as one create by the lab, without one subject.
  [`${REPORT}/SubmitReports`]: { scope: 'system/DiagnosticReport.c', patientData: true },
  // the changes of one report by the performing lab or the requester
  ...sameRuleFor(REPORT, ['AmendReport', 'CancelReport', 'AcknowledgeReport'], report.update),
  [`${REPORT}/GetReport`]: report.read,
  [`${REPORT}/ListReportVersions`]: report.versions(['versions', 0]),
  [`${REPORT}/SearchReports`]: report.patientSearch, // also a citizen's own results ($everything)
  // The safety net names many patients: audited as a search by the organisation, without one subject.
  [`${REPORT}/ListUnacknowledgedReports`]: report.worklist,
  // bulk export (the gateway's $export worker as the job's owner; not on the front door): the
  // patients are the gateway's regional list at identity; audited by the gateway per file
  '/trellis.results.v1.ReportExportService/ListReportsForPatients': report.populationExport,
});
