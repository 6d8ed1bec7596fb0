-- FHIR DiagnosticReport status "appended": content added to a released report (a new version).
ALTER TABLE "reports" DROP CONSTRAINT "reports_status_check";
ALTER TABLE "reports" ADD CONSTRAINT "reports_status_check" CHECK ("status" IN ('preliminary', 'final', 'amended', 'corrected', 'appended', 'cancelled'));
ALTER TABLE "report_versions" DROP CONSTRAINT "report_versions_status_check";
ALTER TABLE "report_versions" ADD CONSTRAINT "report_versions_status_check" CHECK ("status" IN ('preliminary', 'final', 'amended', 'corrected', 'appended', 'cancelled'));
