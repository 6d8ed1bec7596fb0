-- CreateTable
CREATE TABLE "appointment_versions" (
    "appointment_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "change" VARCHAR(20) NOT NULL,
    "changed_by" TEXT,
    "changed_by_ods" TEXT,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "snapshot" JSONB NOT NULL,

    CONSTRAINT "appointment_versions_pkey" PRIMARY KEY ("appointment_id","version")
);

-- AddForeignKey
ALTER TABLE "appointment_versions" ADD CONSTRAINT "appointment_versions_appointment_id_fkey" FOREIGN KEY ("appointment_id") REFERENCES "appointments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill: appointments booked before versions were kept get their current state as one version
-- (earlier versions were never recorded).
INSERT INTO "appointment_versions" ("appointment_id", "version", "change", "recorded_at", "snapshot")
SELECT a."id", a."version", 'recorded', a."updated_at", to_jsonb(a.*)
  FROM "appointments" a;
