-- Record locator pointer versions (issue 21): every change of a pointer is kept (vread, _history).
-- CreateTable
CREATE TABLE "document_pointer_version" (
    "pointer_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "status" VARCHAR(12) NOT NULL,
    "change" VARCHAR(12) NOT NULL,
    "superseded_by_id" UUID,
    "system_id" TEXT NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "document_pointer_version_pkey" PRIMARY KEY ("pointer_id","version")
);

-- Backfill: pointers registered before versions were kept get their registration as version 1 and,
-- when changed since, their present state as their latest version.
INSERT INTO "document_pointer_version" ("pointer_id", "version", "status", "change", "superseded_by_id", "system_id", "recorded_at")
SELECT "id", 1, 'current', 'created', NULL, "created_by_system", "created_at" FROM "document_pointer";
INSERT INTO "document_pointer_version" ("pointer_id", "version", "status", "change", "superseded_by_id", "system_id", "recorded_at")
SELECT "id", "version", "status", "status", "superseded_by_id", "created_by_system", "updated_at"
  FROM "document_pointer" WHERE "version" > 1;
