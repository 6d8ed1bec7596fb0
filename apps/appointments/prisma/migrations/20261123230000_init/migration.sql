-- Appointments: schedules, slots, appointments.
-- Applied with search_path = "<service schema>", public (unqualified names on purpose).

-- btree_gist lets the slot exclusion constraint compare uuid with "=" inside a GiST index.
-- It is a trusted extension and lives in schema public (tools/setup/postgres.sh creates it too).
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

-- CreateEnum
CREATE TYPE "slot_status" AS ENUM ('free', 'busy', 'busy-unavailable');

-- CreateEnum
CREATE TYPE "appointment_status" AS ENUM ('booked', 'arrived', 'fulfilled', 'cancelled', 'noshow');

-- CreateTable
CREATE TABLE "schedules" (
    "id" UUID NOT NULL,
    "ods_code" TEXT NOT NULL,
    "service_type" TEXT NOT NULL,
    "specialty" TEXT,
    "practitioner_id" TEXT,
    "region" TEXT NOT NULL,
    "bookable_by_ods_codes" TEXT[],
    "bookable_by_org_types" TEXT[],
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "schedules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "slots" (
    "id" UUID NOT NULL,
    "schedule_id" UUID NOT NULL,
    "start_at" TIMESTAMPTZ(3) NOT NULL,
    "end_at" TIMESTAMPTZ(3) NOT NULL,
    "status" "slot_status" NOT NULL DEFAULT 'free',
    "ods_code" TEXT NOT NULL,
    "service_type" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "practitioner_id" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "slots_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "appointments" (
    "id" UUID NOT NULL,
    "nhs_number" TEXT NOT NULL,
    "slot_id" UUID NOT NULL,
    "schedule_id" UUID NOT NULL,
    "status" "appointment_status" NOT NULL DEFAULT 'booked',
    "start_at" TIMESTAMPTZ(3) NOT NULL,
    "end_at" TIMESTAMPTZ(3) NOT NULL,
    "ods_code" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "service_type" TEXT NOT NULL,
    "practitioner_id" TEXT,
    "booking_ods_code" TEXT NOT NULL,
    "booking_region" TEXT NOT NULL,
    "referral_id" TEXT,
    "idempotency_key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "cancellation_reason" TEXT,
    "cancelled_at" TIMESTAMPTZ(3),
    "arrived_at" TIMESTAMPTZ(3),
    "fulfilled_at" TIMESTAMPTZ(3),
    "noshow_at" TIMESTAMPTZ(3),
    "merged_from_nhs_number" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "appointments_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "schedules_ods_code_idx" ON "schedules"("ods_code");

-- CreateIndex
CREATE INDEX "slots_schedule_id_start_at_idx" ON "slots"("schedule_id", "start_at");

-- CreateIndex
CREATE INDEX "appointments_nhs_number_start_at_idx" ON "appointments"("nhs_number", "start_at");

-- CreateIndex
CREATE INDEX "appointments_ods_code_start_at_idx" ON "appointments"("ods_code", "start_at");

-- CreateIndex
CREATE INDEX "appointments_booking_ods_code_start_at_idx" ON "appointments"("booking_ods_code", "start_at");

-- CreateIndex
CREATE UNIQUE INDEX "appointments_idempotency" ON "appointments"("booking_ods_code", "idempotency_key");

-- AddForeignKey
ALTER TABLE "slots" ADD CONSTRAINT "slots_schedule_id_fkey" FOREIGN KEY ("schedule_id") REFERENCES "schedules"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_slot_id_fkey" FOREIGN KEY ("slot_id") REFERENCES "slots"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------------------------
-- Hand-written guarantees Prisma's schema language cannot express.

-- A slot has a positive duration.
ALTER TABLE "slots" ADD CONSTRAINT "slots_end_after_start" CHECK ("end_at" > "start_at");

-- Slots of one schedule never overlap (half-open ranges, so back-to-back slots are fine).
ALTER TABLE "slots" ADD CONSTRAINT "slots_no_overlap"
    EXCLUDE USING gist ("schedule_id" WITH =, tstzrange("start_at", "end_at", '[)') WITH &&);

-- A slot is held by at most one live appointment (cancelled ones release it).
CREATE UNIQUE INDEX "appointments_one_active_per_slot" ON "appointments"("slot_id")
    WHERE "status" <> 'cancelled';

-- Free-slot search: each filter combination walks a partial index in start order.
CREATE INDEX "slots_free_service_start_idx" ON "slots"("service_type", "start_at", "id")
    WHERE "status" = 'free';
CREATE INDEX "slots_free_ods_start_idx" ON "slots"("ods_code", "start_at", "id")
    WHERE "status" = 'free';
CREATE INDEX "slots_free_region_start_idx" ON "slots"("region", "start_at", "id")
    WHERE "status" = 'free';
CREATE INDEX "slots_free_start_idx" ON "slots"("start_at", "id") WHERE "status" = 'free';
