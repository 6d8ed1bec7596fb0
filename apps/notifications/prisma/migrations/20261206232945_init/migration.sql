-- CreateTable
CREATE TABLE "subscriptions" (
    "id" UUID NOT NULL,
    "owner_system_id" TEXT NOT NULL,
    "owner_ods_code" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "payload_content" TEXT NOT NULL,
    "headers" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "heartbeat_seconds" INTEGER NOT NULL DEFAULT 0,
    "timeout_seconds" INTEGER NOT NULL DEFAULT 10,
    "patient_nhs_number" TEXT NOT NULL DEFAULT '',
    "reason" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL,
    "event_count" BIGINT NOT NULL DEFAULT 0,
    "delivered_through" BIGINT NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lease_until" TIMESTAMPTZ(6),
    "last_error" TEXT NOT NULL DEFAULT '',
    "last_delivery_at" TIMESTAMPTZ(6),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(6),

    CONSTRAINT "subscriptions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification_events" (
    "subscription_id" UUID NOT NULL,
    "event_number" BIGINT NOT NULL,
    "notification_id" UUID NOT NULL,
    "source_event_id" TEXT NOT NULL,
    "source_event_type" TEXT NOT NULL,
    "focus" TEXT NOT NULL,
    "patient" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(6) NOT NULL,
    "recorded_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_events_pkey" PRIMARY KEY ("subscription_id","event_number")
);

-- CreateTable
CREATE TABLE "patient_practices" (
    "nhs_number" TEXT NOT NULL,
    "gp_ods_code" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "patient_practices_pkey" PRIMARY KEY ("nhs_number")
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
CREATE INDEX "subscriptions_topic_idx" ON "subscriptions"("topic", "deleted_at");

-- CreateIndex
CREATE INDEX "subscriptions_owner_idx" ON "subscriptions"("owner_system_id", "created_at");

-- CreateIndex
CREATE INDEX "subscriptions_due_idx" ON "subscriptions"("next_attempt_at");

-- CreateIndex
CREATE UNIQUE INDEX "notification_events_notification_id_key" ON "notification_events"("notification_id");

-- CreateIndex
CREATE INDEX "notification_events_recorded_at_idx" ON "notification_events"("recorded_at");

-- CreateIndex
CREATE UNIQUE INDEX "notification_events_source_key" ON "notification_events"("subscription_id", "source_event_id");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_events_seq_key" ON "outbox_events"("seq");

-- CreateIndex
CREATE INDEX "outbox_events_unsent_seq_idx" ON "outbox_events"("sent_at", "seq");

-- CreateIndex
CREATE INDEX "inbox_events_handled_at_idx" ON "inbox_events"("handled_at");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letter_events_position_key" ON "dead_letter_events"("consumer_group", "topic", "partition", "offset");

-- AddForeignKey
ALTER TABLE "notification_events" ADD CONSTRAINT "notification_events_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
