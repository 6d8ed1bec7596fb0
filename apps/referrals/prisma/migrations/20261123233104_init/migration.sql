-- CreateEnum
CREATE TYPE "referral_status" AS ENUM ('sent', 'accepted', 'rejected', 'advice-given', 'booked', 'completed', 'cancelled');

-- CreateEnum
CREATE TYPE "referral_priority" AS ENUM ('routine', 'urgent', 'two-week-wait');

-- CreateTable
CREATE TABLE "referrals" (
    "id" UUID NOT NULL,
    "nhs_number" TEXT NOT NULL,
    "merged_from_nhs_number" TEXT,
    "referrer_ods_code" TEXT NOT NULL,
    "referrer_region" TEXT NOT NULL,
    "referrer_practitioner_id" TEXT NOT NULL,
    "target_ods_code" TEXT NOT NULL,
    "target_region" TEXT NOT NULL,
    "specialty_code" TEXT NOT NULL,
    "priority" "referral_priority" NOT NULL,
    "reason_code" TEXT NOT NULL,
    "reason_display" TEXT NOT NULL,
    "clinical_summary" TEXT NOT NULL,
    "status" "referral_status" NOT NULL DEFAULT 'sent',
    "sent_at" TIMESTAMPTZ(3) NOT NULL,
    "rtt_started_at" TIMESTAMPTZ(3) NOT NULL,
    "rtt_stopped_at" TIMESTAMPTZ(3),
    "rtt_stop_reason" TEXT,
    "first_appointment_at" TIMESTAMPTZ(3),
    "appointment_id" TEXT,
    "rejection_reason" TEXT,
    "advice" TEXT,
    "cancellation_reason" TEXT,
    "based_on_referral_id" UUID,
    "converted_to_referral_id" UUID,
    "booking_flagged" BOOLEAN NOT NULL DEFAULT false,
    "idempotency_key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "referrals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "referral_attachments" (
    "id" UUID NOT NULL,
    "referral_id" UUID NOT NULL,
    "content_type" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "data" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "referral_attachments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "referral_transitions" (
    "id" BIGSERIAL NOT NULL,
    "referral_id" UUID NOT NULL,
    "from_status" TEXT,
    "to_status" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "actor_system_id" TEXT NOT NULL,
    "actor_ods_code" TEXT,
    "actor_user_id" TEXT,
    "note" TEXT,
    "source" TEXT NOT NULL,

    CONSTRAINT "referral_transitions_pkey" PRIMARY KEY ("id")
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
CREATE UNIQUE INDEX "referrals_converted_to_referral_id_key" ON "referrals"("converted_to_referral_id");

-- CreateIndex
CREATE INDEX "referrals_target_worklist_idx" ON "referrals"("target_ods_code", "sent_at", "id");

-- CreateIndex
CREATE INDEX "referrals_referrer_worklist_idx" ON "referrals"("referrer_ods_code", "sent_at", "id");

-- CreateIndex
CREATE INDEX "referrals_nhs_number_idx" ON "referrals"("nhs_number");

-- CreateIndex
CREATE UNIQUE INDEX "referrals_idempotency" ON "referrals"("referrer_ods_code", "idempotency_key");

-- CreateIndex
CREATE INDEX "referral_attachments_referral_id_idx" ON "referral_attachments"("referral_id");

-- CreateIndex
CREATE INDEX "referral_transitions_referral_id_id_idx" ON "referral_transitions"("referral_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_events_seq_key" ON "outbox_events"("seq");

-- CreateIndex
CREATE INDEX "outbox_events_unsent_seq_idx" ON "outbox_events"("sent_at", "seq");

-- CreateIndex
CREATE INDEX "inbox_events_handled_at_idx" ON "inbox_events"("handled_at");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letter_events_position_key" ON "dead_letter_events"("consumer_group", "topic", "partition", "offset");

-- AddForeignKey
ALTER TABLE "referral_attachments" ADD CONSTRAINT "referral_attachments_referral_id_fkey" FOREIGN KEY ("referral_id") REFERENCES "referrals"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "referral_transitions" ADD CONSTRAINT "referral_transitions_referral_id_fkey" FOREIGN KEY ("referral_id") REFERENCES "referrals"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Open RTT pathways (clock running): waiting lists aggregate over these only, per provider and
-- per region, without touching closed referrals.
CREATE INDEX "referrals_open_pathways_provider_idx" ON "referrals"("target_ods_code", "rtt_started_at")
    WHERE "rtt_stopped_at" IS NULL;
CREATE INDEX "referrals_open_pathways_region_idx" ON "referrals"("target_region", "target_ods_code", "rtt_started_at")
    INCLUDE ("priority", "first_appointment_at")
    WHERE "rtt_stopped_at" IS NULL;

-- Attachment size is bounded in the service (refused clearly); the database keeps the promise too.
ALTER TABLE "referral_attachments" ADD CONSTRAINT "referral_attachments_size_check" CHECK ("size" >= 0 AND "size" <= 1048576 AND octet_length("data") = "size");
