-- CreateEnum
CREATE TYPE "gender" AS ENUM ('male', 'female', 'other', 'unknown');

-- CreateEnum
CREATE TYPE "confidentiality" AS ENUM ('normal', 'restricted');

-- CreateTable
CREATE TABLE "patient" (
    "nhs_number" VARCHAR(10) NOT NULL,
    "gender" "gender" NOT NULL,
    "birth_date" DATE NOT NULL,
    "deceased_at" TIMESTAMPTZ(3),
    "confidentiality" "confidentiality" NOT NULL DEFAULT 'normal',
    "gp_ods_code" VARCHAR(10),
    "gp_region" VARCHAR(20),
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_updated" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "merged_into" VARCHAR(10),
    "merged_at" TIMESTAMPTZ(3),
    "registration_key" TEXT NOT NULL,
    "duplicate_override" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "patient_pkey" PRIMARY KEY ("nhs_number")
);

-- CreateTable
CREATE TABLE "patient_name" (
    "id" BIGSERIAL NOT NULL,
    "nhs_number" VARCHAR(10) NOT NULL,
    "position" INTEGER NOT NULL,
    "use" VARCHAR(16) NOT NULL,
    "family" TEXT NOT NULL,
    "given" TEXT[],
    "prefix" TEXT[],
    "period_start" DATE,
    "period_end" DATE,
    "family_norm" TEXT NOT NULL,
    "given_norm" TEXT NOT NULL,
    "given_canon" TEXT NOT NULL,
    "birth_date" DATE NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "patient_name_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "patient_address" (
    "id" BIGSERIAL NOT NULL,
    "nhs_number" VARCHAR(10) NOT NULL,
    "position" INTEGER NOT NULL,
    "use" VARCHAR(16) NOT NULL,
    "lines" TEXT[],
    "city" TEXT NOT NULL DEFAULT '',
    "district" TEXT NOT NULL DEFAULT '',
    "postcode" TEXT NOT NULL DEFAULT '',
    "postcode_norm" TEXT NOT NULL,
    "postcode_out" TEXT NOT NULL,
    "period_start" DATE,
    "period_end" DATE,
    "active" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "patient_address_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "patient_telecom" (
    "id" BIGSERIAL NOT NULL,
    "nhs_number" VARCHAR(10) NOT NULL,
    "position" INTEGER NOT NULL,
    "system" VARCHAR(16) NOT NULL,
    "value" TEXT NOT NULL,
    "use" VARCHAR(16) NOT NULL,
    "period_start" DATE,
    "period_end" DATE,

    CONSTRAINT "patient_telecom_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "gp_registration" (
    "id" BIGSERIAL NOT NULL,
    "nhs_number" VARCHAR(10) NOT NULL,
    "ods_code" VARCHAR(10) NOT NULL,
    "region" VARCHAR(20) NOT NULL,
    "period_start" DATE NOT NULL,
    "period_end" DATE,

    CONSTRAINT "gp_registration_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "patient_version" (
    "id" BIGSERIAL NOT NULL,
    "nhs_number" VARCHAR(10) NOT NULL,
    "version" INTEGER NOT NULL,
    "change" VARCHAR(16) NOT NULL,
    "changed_fields" TEXT[],
    "changed_by" TEXT NOT NULL,
    "changed_by_ods" TEXT NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "snapshot" JSONB NOT NULL,
    "reason" TEXT,
    "overridden_candidates" TEXT[],

    CONSTRAINT "patient_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "nhs_number_range" (
    "name" TEXT NOT NULL,
    "first_base" BIGINT NOT NULL,
    "last_base" BIGINT NOT NULL,
    "sequence_name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "nhs_number_range_pkey" PRIMARY KEY ("name")
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
CREATE INDEX "patient_merged_into_idx" ON "patient"("merged_into");

-- CreateIndex
CREATE INDEX "patient_gp_ods_code_idx" ON "patient"("gp_ods_code");

-- CreateIndex
CREATE INDEX "patient_birth_date_idx" ON "patient"("birth_date");

-- CreateIndex
CREATE INDEX "patient_name_nhs_number_idx" ON "patient_name"("nhs_number");

-- CreateIndex
CREATE INDEX "patient_name_family_norm_birth_date_idx" ON "patient_name"("family_norm", "birth_date");

-- CreateIndex
CREATE INDEX "patient_name_birth_date_idx" ON "patient_name"("birth_date");

-- CreateIndex
CREATE INDEX "patient_name_family_trgm_idx" ON "patient_name" USING GIN ("family_norm" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "patient_address_nhs_number_idx" ON "patient_address"("nhs_number");

-- CreateIndex
CREATE INDEX "patient_address_postcode_norm_idx" ON "patient_address"("postcode_norm");

-- CreateIndex
CREATE INDEX "patient_address_postcode_out_idx" ON "patient_address"("postcode_out");

-- CreateIndex
CREATE INDEX "patient_telecom_nhs_number_idx" ON "patient_telecom"("nhs_number");

-- CreateIndex
CREATE INDEX "gp_registration_nhs_number_idx" ON "gp_registration"("nhs_number");

-- CreateIndex
CREATE UNIQUE INDEX "patient_version_nhs_number_version_key" ON "patient_version"("nhs_number", "version");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_events_seq_key" ON "outbox_events"("seq");

-- CreateIndex
CREATE INDEX "outbox_events_unsent_seq_idx" ON "outbox_events"("sent_at", "seq");

-- CreateIndex
CREATE INDEX "inbox_events_handled_at_idx" ON "inbox_events"("handled_at");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letter_events_position_key" ON "dead_letter_events"("consumer_group", "topic", "partition", "offset");

-- AddForeignKey
ALTER TABLE "patient" ADD CONSTRAINT "patient_merged_into_fkey" FOREIGN KEY ("merged_into") REFERENCES "patient"("nhs_number") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "patient_name" ADD CONSTRAINT "patient_name_nhs_number_fkey" FOREIGN KEY ("nhs_number") REFERENCES "patient"("nhs_number") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "patient_address" ADD CONSTRAINT "patient_address_nhs_number_fkey" FOREIGN KEY ("nhs_number") REFERENCES "patient"("nhs_number") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "patient_telecom" ADD CONSTRAINT "patient_telecom_nhs_number_fkey" FOREIGN KEY ("nhs_number") REFERENCES "patient"("nhs_number") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "gp_registration" ADD CONSTRAINT "gp_registration_nhs_number_fkey" FOREIGN KEY ("nhs_number") REFERENCES "patient"("nhs_number") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "patient_version" ADD CONSTRAINT "patient_version_nhs_number_fkey" FOREIGN KEY ("nhs_number") REFERENCES "patient"("nhs_number") ON DELETE CASCADE ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------------------------
-- Hand-written additions (kept by later migrate-dev runs: Prisma does not model them)
-- ---------------------------------------------------------------------------------------------

-- Phonetic trace (fuzzystrmatch, in schema public): family + given, with birth date for windows.
CREATE INDEX "patient_name_dm_family_given_idx" ON "patient_name" (dmetaphone("family_norm"), dmetaphone("given_norm"), "birth_date") WHERE "active";
CREATE INDEX "patient_name_dm_family_canon_idx" ON "patient_name" (dmetaphone("family_norm"), "given_canon", "birth_date") WHERE "active";
CREATE INDEX "patient_name_dm_family_idx" ON "patient_name" (dmetaphone("family_norm")) WHERE "active";

-- Partial postcode trace (prefix LIKE; the database collation is C, text_pattern_ops keeps it
-- correct under any collation).
CREATE INDEX "patient_address_postcode_prefix_idx" ON "patient_address" ("postcode_norm" text_pattern_ops) WHERE "active";

-- A patient is merged at most into a live record, never into itself.
ALTER TABLE "patient" ADD CONSTRAINT "patient_not_merged_into_self" CHECK ("merged_into" IS NULL OR "merged_into" <> "nhs_number");

-- NHS number allocation (libs/nhs-number NHS_NUMBER_ALLOCATION_SQL, verbatim; a unit test checks it).
CREATE OR REPLACE FUNCTION nhs_number_range_ensure(p_name TEXT, p_first BIGINT, p_last BIGINT)
RETURNS BOOLEAN LANGUAGE plpgsql AS $fn$
DECLARE
  v_existing nhs_number_range%ROWTYPE;
  v_seq TEXT := 'nhs_number_seq_' || p_name;
  v_qualified TEXT;
BEGIN
  IF p_name !~ '^[a-z][a-z0-9_]{0,40}$' THEN
    RAISE EXCEPTION 'invalid NHS number range name %', p_name USING ERRCODE = '22023';
  END IF;
  SELECT * INTO v_existing FROM nhs_number_range WHERE name = p_name;
  IF FOUND THEN
    IF v_existing.first_base <> p_first OR v_existing.last_base <> p_last THEN
      RAISE EXCEPTION 'NHS number range % already defined as %..%', p_name, v_existing.first_base, v_existing.last_base
        USING ERRCODE = '22023';
    END IF;
    RETURN FALSE;
  END IF;
  -- serialise concurrent first-time creation of the same range
  PERFORM pg_advisory_xact_lock(hashtext('nhs_number_range:' || p_name));
  IF EXISTS (SELECT 1 FROM nhs_number_range WHERE name = p_name) THEN
    RETURN FALSE;
  END IF;
  EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I AS BIGINT MINVALUE %s MAXVALUE %s START %s NO CYCLE CACHE 1',
                 v_seq, p_first, p_last, p_first);
  v_qualified := format('%I.%I', current_schema(), v_seq);
  INSERT INTO nhs_number_range (name, first_base, last_base, sequence_name) VALUES (p_name, p_first, p_last, v_qualified);
  RETURN TRUE;
END
$fn$;

CREATE OR REPLACE FUNCTION nhs_number_range_next(p_name TEXT)
RETURNS BIGINT LANGUAGE plpgsql AS $fn$
DECLARE
  v_seq TEXT;
BEGIN
  SELECT sequence_name INTO v_seq FROM nhs_number_range WHERE name = p_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown NHS number range %', p_name USING ERRCODE = '22023';
  END IF;
  RETURN nextval(v_seq::regclass);
EXCEPTION
  WHEN sequence_generator_limit_exceeded THEN
    RETURN NULL;
END
$fn$;
