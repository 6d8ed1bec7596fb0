-- Issue 21: FHIR Bulk Data $export jobs and their NDJSON files (jobs survive a restart).

-- CreateTable
CREATE TABLE "bulk_export_jobs" (
    "id" UUID NOT NULL,
    "owner_system_id" TEXT NOT NULL,
    "owner_user_id" TEXT,
    "scopes" TEXT[],
    "owner_ods_code" TEXT NOT NULL,
    "owner_region" TEXT NOT NULL,
    "region" TEXT,
    "types" TEXT[],
    "since" TIMESTAMPTZ(6),
    "request" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "cursor" TEXT NOT NULL DEFAULT '',
    "resources_done" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "transaction_time" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lease_until" TIMESTAMPTZ(6),
    "completed_at" TIMESTAMPTZ(6),
    "expires_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "bulk_export_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "bulk_export_files" (
    "job_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "ndjson" TEXT NOT NULL,

    CONSTRAINT "bulk_export_files_pkey" PRIMARY KEY ("job_id","seq")
);

-- CreateIndex
CREATE INDEX "bulk_export_jobs_status_idx" ON "bulk_export_jobs"("status", "lease_until");

-- CreateIndex
CREATE INDEX "bulk_export_jobs_expires_idx" ON "bulk_export_jobs"("expires_at");

-- AddForeignKey
ALTER TABLE "bulk_export_files" ADD CONSTRAINT "bulk_export_files_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "bulk_export_jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
