-- CreateTable
CREATE TABLE "product_compliance" (
    "product_version_id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "severity" TEXT,
    "rate" DOUBLE PRECISION,
    "warned_at" TIMESTAMPTZ(6),
    "enforced_at" TIMESTAMPTZ(6),
    "override_until" TIMESTAMPTZ(6),
    "override_reason" TEXT,
    "override_by" TEXT,
    "policy_version" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "changed_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "product_compliance_pkey" PRIMARY KEY ("product_version_id")
);

-- CreateTable
CREATE TABLE "compliance_changes" (
    "id" UUID NOT NULL,
    "product_version_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "from_state" TEXT NOT NULL,
    "to_state" TEXT NOT NULL,
    "cause" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "reason" TEXT,
    "finding" JSONB NOT NULL,
    "at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "compliance_changes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "compliance_changes_version_key" ON "compliance_changes"("product_version_id", "version");
