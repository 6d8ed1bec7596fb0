-- CreateTable
CREATE TABLE "system_environments" (
    "system_id" TEXT NOT NULL,
    "environment" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "changed_by" TEXT NOT NULL,
    "changed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "system_environments_pkey" PRIMARY KEY ("system_id")
);
