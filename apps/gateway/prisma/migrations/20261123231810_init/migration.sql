-- CreateEnum
CREATE TYPE "SystemStatus" AS ENUM ('active', 'suspended');

-- CreateTable
CREATE TABLE "connected_systems" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "supplier" TEXT NOT NULL,
    "ods_code" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "jwks" JSONB,
    "jwks_url" TEXT,
    "allowed_scopes" TEXT[],
    "status" "SystemStatus" NOT NULL DEFAULT 'active',
    "suspension_reason" TEXT,
    "rate_limit_per_window" INTEGER,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "changed_by" TEXT NOT NULL,
    "changed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "connected_systems_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "connected_system_changes" (
    "id" UUID NOT NULL,
    "system_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "change" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "reason" TEXT,
    "before" JSONB,
    "after" JSONB NOT NULL,
    "at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "connected_system_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "client_assertion_jtis" (
    "client_id" TEXT NOT NULL,
    "jti" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "client_assertion_jtis_pkey" PRIMARY KEY ("client_id","jti")
);

-- CreateTable
CREATE TABLE "rate_limit_windows" (
    "subject" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(6) NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "rate_limit_windows_pkey" PRIMARY KEY ("subject","window_start")
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
CREATE INDEX "connected_systems_created_idx" ON "connected_systems"("created_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "connected_system_changes_version_key" ON "connected_system_changes"("system_id", "version");

-- CreateIndex
CREATE INDEX "client_assertion_jtis_expires_idx" ON "client_assertion_jtis"("expires_at");

-- CreateIndex
CREATE INDEX "rate_limit_windows_start_idx" ON "rate_limit_windows"("window_start");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_events_seq_key" ON "outbox_events"("seq");

-- CreateIndex
CREATE INDEX "outbox_events_unsent_seq_idx" ON "outbox_events"("sent_at", "seq");

-- CreateIndex
CREATE INDEX "inbox_events_handled_at_idx" ON "inbox_events"("handled_at");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letter_events_position_key" ON "dead_letter_events"("consumer_group", "topic", "partition", "offset");

-- AddForeignKey
ALTER TABLE "connected_system_changes" ADD CONSTRAINT "connected_system_changes_system_id_fkey" FOREIGN KEY ("system_id") REFERENCES "connected_systems"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
