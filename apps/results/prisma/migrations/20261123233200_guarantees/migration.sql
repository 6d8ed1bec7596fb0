-- Guarantees Prisma's schema language cannot express (kept in the database, not in Node).

-- Closed vocabularies: a bug in Node can never store a status or category the API does not know.
ALTER TABLE "reports" ADD CONSTRAINT "reports_category_check" CHECK ("category" IN ('pathology', 'radiology'));
ALTER TABLE "reports" ADD CONSTRAINT "reports_status_check" CHECK ("status" IN ('preliminary', 'final', 'amended', 'corrected', 'cancelled'));
ALTER TABLE "reports" ADD CONSTRAINT "reports_code_system_check" CHECK ("code_system" IN ('http://loinc.org', 'http://snomed.info/sct'));
ALTER TABLE "reports" ADD CONSTRAINT "reports_severity_rank_check" CHECK ("severity_rank" BETWEEN 0 AND 2);
ALTER TABLE "reports" ADD CONSTRAINT "reports_version_check" CHECK ("version" >= 1);
ALTER TABLE "reports" ADD CONSTRAINT "reports_ack_version_check" CHECK ("acknowledged_version" IS NULL OR "acknowledged_version" <= "version");
ALTER TABLE "report_versions" ADD CONSTRAINT "report_versions_status_check" CHECK ("status" IN ('preliminary', 'final', 'amended', 'corrected', 'cancelled'));
ALTER TABLE "observations" ADD CONSTRAINT "observations_value_kind_check" CHECK ("value_kind" IN ('quantity', 'coded', 'text'));
ALTER TABLE "observations" ADD CONSTRAINT "observations_quantity_unit_check" CHECK ("value_kind" <> 'quantity' OR ("value_number" IS NOT NULL AND "value_unit" IS NOT NULL AND "value_unit" <> ''));

-- An acknowledgement names a version that exists.
ALTER TABLE "acknowledgements" ADD CONSTRAINT "acknowledgements_version_fkey" FOREIGN KEY ("report_id", "version") REFERENCES "report_versions"("report_id", "version") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The safety net: per requesting organisation, unacknowledged abnormal/critical reports, oldest first.
CREATE INDEX "reports_safety_net" ON "reports"("requester_ods_code", "received_at", "id")
  WHERE "severity_rank" >= 1 AND "status" <> 'cancelled' AND ("acknowledged_version" IS NULL OR "acknowledged_version" < "version");
