-- CreateTable
CREATE TABLE "reports" (
    "id" UUID NOT NULL,
    "lab_ods_code" TEXT NOT NULL,
    "lab_report_id" TEXT NOT NULL,
    "lab_region" TEXT NOT NULL,
    "nhs_number" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "code_system" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "code_display" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "requester_ods_code" TEXT NOT NULL,
    "requester_region" TEXT NOT NULL,
    "requester_practitioner_id" TEXT NOT NULL,
    "referral_id" TEXT,
    "issued_at" TIMESTAMPTZ(3) NOT NULL,
    "conclusion" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "most_severe" TEXT NOT NULL,
    "severity_rank" INTEGER NOT NULL,
    "observation_count" INTEGER NOT NULL,
    "abnormal_count" INTEGER NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "acknowledged_version" INTEGER,
    "acknowledged_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reports_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "report_versions" (
    "report_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "content" JSONB NOT NULL,
    "reason" TEXT,
    "submitted_by" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "report_versions_pkey" PRIMARY KEY ("report_id","version")
);

-- CreateTable
CREATE TABLE "observations" (
    "report_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "code" TEXT NOT NULL,
    "value_kind" TEXT NOT NULL,
    "value_number" DOUBLE PRECISION,
    "value_unit" TEXT,
    "value_code" TEXT,
    "value_text" TEXT,
    "interpretation" TEXT NOT NULL,

    CONSTRAINT "observations_pkey" PRIMARY KEY ("report_id","version","seq")
);

-- CreateTable
CREATE TABLE "acknowledgements" (
    "report_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "ods_code" TEXT NOT NULL,
    "system_id" TEXT NOT NULL,
    "user_id" TEXT,
    "note" TEXT,
    "acknowledged_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "acknowledgements_pkey" PRIMARY KEY ("report_id","version")
);

-- CreateTable
CREATE TABLE "outbox_events" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT,
    "ce_type" TEXT NOT NULL,
    "ce_source" TEXT NOT NULL,
    "ce_subject" TEXT,
    "ce_time" TIMESTAMPTZ(6) NOT NULL,
    "ce_dataschema" TEXT,
    "ods_code" TEXT,
    "region" TEXT,
    "regions" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "headers" JSONB NOT NULL DEFAULT '{}',
    "payload" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(6),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "inbox_events" (
    "consumer_group" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,
    "ce_type" TEXT,
    "handled_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbox_events_pkey" PRIMARY KEY ("consumer_group","event_id")
);

-- CreateTable
CREATE TABLE "dead_letter_events" (
    "id" UUID NOT NULL,
    "consumer_group" TEXT NOT NULL,
    "event_id" TEXT,
    "topic" TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,
    "key" TEXT,
    "ce_type" TEXT,
    "error" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "payload" BYTEA,
    "dead_lettered_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dead_letter_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "reports_patient_issued" ON "reports"("nhs_number", "issued_at" DESC, "id");

-- CreateIndex
CREATE INDEX "reports_requester_issued" ON "reports"("requester_ods_code", "issued_at" DESC, "id");

-- CreateIndex
CREATE INDEX "reports_lab_issued" ON "reports"("lab_ods_code", "issued_at" DESC, "id");

-- CreateIndex
CREATE UNIQUE INDEX "reports_lab_identifier" ON "reports"("lab_ods_code", "lab_report_id");

-- CreateIndex
CREATE INDEX "report_versions_hash" ON "report_versions"("report_id", "content_hash");

-- CreateIndex
CREATE INDEX "observations_code" ON "observations"("code", "report_id");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_events_seq_key" ON "outbox_events"("seq");

-- CreateIndex
CREATE INDEX "outbox_events_unsent_seq_idx" ON "outbox_events"("sent_at", "seq");

-- CreateIndex
CREATE INDEX "inbox_events_handled_at_idx" ON "inbox_events"("handled_at");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letter_events_position_key" ON "dead_letter_events"("consumer_group", "topic", "partition", "offset");

-- AddForeignKey
ALTER TABLE "report_versions" ADD CONSTRAINT "report_versions_report_id_fkey" FOREIGN KEY ("report_id") REFERENCES "reports"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "observations" ADD CONSTRAINT "observations_report_id_version_fkey" FOREIGN KEY ("report_id", "version") REFERENCES "report_versions"("report_id", "version") ON DELETE RESTRICT ON UPDATE CASCADE;
