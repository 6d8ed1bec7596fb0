-- Issue 18: the connected-system lifecycle replaces system_environments (its data is carried
-- over below, before the table is dropped: production = live, everything else = sandbox, which is
-- what every system was before the lifecycle existed).

-- AlterTable
ALTER TABLE "connected_systems" ADD COLUMN     "lifecycle" TEXT NOT NULL DEFAULT 'registered';

-- CreateTable
CREATE TABLE "system_lifecycle_transitions" (
    "id" UUID NOT NULL,
    "system_id" TEXT NOT NULL,
    "from_state" TEXT,
    "to_state" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "national_override" BOOLEAN NOT NULL DEFAULT false,
    "at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "system_lifecycle_transitions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "region_requirements" (
    "region" TEXT NOT NULL,
    "extra_certificate_roles" TEXT[],
    "max_violation_rate" DOUBLE PRECISION,
    "reason" TEXT NOT NULL,
    "changed_by" TEXT NOT NULL,
    "changed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "version" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "region_requirements_pkey" PRIMARY KEY ("region")
);

-- CreateIndex
CREATE INDEX "system_lifecycle_transitions_system_idx" ON "system_lifecycle_transitions"("system_id", "at");

-- Systems registered before the lifecycle: what they were, recorded as the migration's decision
UPDATE "connected_systems" SET "lifecycle" = 'sandbox';
UPDATE "connected_systems" c SET "lifecycle" = 'live'
  FROM "system_environments" e WHERE e."system_id" = c."id" AND e."environment" = 'production';
INSERT INTO "system_lifecycle_transitions" ("id", "system_id", "from_state", "to_state", "actor", "region", "reason", "national_override", "at")
  SELECT gen_random_uuid(), c."id", NULL, c."lifecycle", COALESCE(e."changed_by", c."created_by"), c."region",
         'carried over when the lifecycle was introduced' || COALESCE(': ' || e."reason", ''), true, COALESCE(e."changed_at", c."created_at")
  FROM "connected_systems" c LEFT JOIN "system_environments" e ON e."system_id" = c."id";

-- DropTable
DROP TABLE "system_environments";

-- AddForeignKey
ALTER TABLE "system_lifecycle_transitions" ADD CONSTRAINT "system_lifecycle_transitions_system_id_fkey" FOREIGN KEY ("system_id") REFERENCES "connected_systems"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
