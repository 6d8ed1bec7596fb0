-- CreateTable
CREATE TABLE "traffic_counters" (
    "system_id" TEXT NOT NULL,
    "bucket_start" TIMESTAMPTZ(6) NOT NULL,
    "product_version_id" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "door" TEXT NOT NULL,
    "count" BIGINT NOT NULL,
    "issues" BIGINT NOT NULL DEFAULT 0,
    "example" TEXT,
    "last_event_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "traffic_counters_pkey" PRIMARY KEY ("system_id","bucket_start","product_version_id","metric","key","status","door")
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
CREATE INDEX "traffic_counters_product_version_idx" ON "traffic_counters"("product_version_id", "bucket_start");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_events_seq_key" ON "outbox_events"("seq");

-- CreateIndex
CREATE INDEX "outbox_events_unsent_seq_idx" ON "outbox_events"("sent_at", "seq");

-- CreateIndex
CREATE INDEX "inbox_events_handled_at_idx" ON "inbox_events"("handled_at");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letter_events_position_key" ON "dead_letter_events"("consumer_group", "topic", "partition", "offset");
