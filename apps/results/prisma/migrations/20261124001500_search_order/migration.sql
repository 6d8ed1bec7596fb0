-- Search orders by (issued_at DESC, id DESC): the indexes now match that order exactly.

-- DropIndex
DROP INDEX "reports_patient_issued";
DROP INDEX "reports_requester_issued";
DROP INDEX "reports_lab_issued";

-- CreateIndex
CREATE INDEX "reports_patient_issued" ON "reports"("nhs_number", "issued_at" DESC, "id" DESC);
CREATE INDEX "reports_requester_issued" ON "reports"("requester_ods_code", "issued_at" DESC, "id" DESC);
CREATE INDEX "reports_lab_issued" ON "reports"("lab_ods_code", "issued_at" DESC, "id" DESC);
