-- CreateTable
CREATE TABLE "conformance_sessions" (
    "id" UUID NOT NULL,
    "system_id" TEXT NOT NULL,
    "product_version_id" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "rules_version" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "retry_after_seconds" INTEGER NOT NULL,
    "opened_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closed_at" TIMESTAMPTZ(6),
    "result" TEXT,
    "certificate_id" UUID,

    CONSTRAINT "conformance_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "session_exchanges" (
    "session_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "scenario" TEXT,
    "method" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "query" TEXT NOT NULL,
    "status" INTEGER NOT NULL,
    "fault" TEXT,
    "if_match" TEXT,
    "if_none_exist" TEXT,
    "key" TEXT,
    "resource_id" TEXT,
    "retry_after" INTEGER,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "done_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "session_exchanges_pkey" PRIMARY KEY ("session_id","seq")
);

-- CreateTable
CREATE TABLE "conformance_test_reports" (
    "id" UUID NOT NULL,
    "session_id" UUID NOT NULL,
    "scenario" TEXT NOT NULL,
    "result" TEXT NOT NULL,
    "resource" JSONB NOT NULL,
    "issued_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "conformance_test_reports_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "conformance_certificates" (
    "id" UUID NOT NULL,
    "product_version_id" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "rules_version" TEXT NOT NULL,
    "supplier" TEXT NOT NULL,
    "product" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "session_id" UUID NOT NULL,
    "test_report_ids" TEXT[],
    "jwt" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "status_reason" TEXT,
    "status_changed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "issued_at" TIMESTAMPTZ(6) NOT NULL,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "conformance_certificates_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "conformance_sessions_system_idx" ON "conformance_sessions"("system_id", "status");

-- CreateIndex
CREATE INDEX "conformance_test_reports_session_idx" ON "conformance_test_reports"("session_id");

-- CreateIndex
CREATE INDEX "conformance_certificates_pv_idx" ON "conformance_certificates"("product_version_id", "role", "status");

-- CreateIndex
CREATE INDEX "conformance_certificates_issued_idx" ON "conformance_certificates"("issued_at", "id");

-- AddForeignKey
ALTER TABLE "session_exchanges" ADD CONSTRAINT "session_exchanges_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "conformance_sessions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conformance_test_reports" ADD CONSTRAINT "conformance_test_reports_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "conformance_sessions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
