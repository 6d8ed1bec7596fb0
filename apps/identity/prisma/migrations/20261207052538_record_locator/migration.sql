-- Record locator (issue 21): document pointers registered by custodians (docs/record-locator.md).
-- CreateTable
CREATE TABLE "document_pointer" (
    "id" UUID NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "status" VARCHAR(12) NOT NULL,
    "nhs_number" VARCHAR(10) NOT NULL,
    "type_code" VARCHAR(18) NOT NULL,
    "custodian_ods" VARCHAR(10) NOT NULL,
    "author_ods" VARCHAR(10),
    "url" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "size" BIGINT,
    "hash" TEXT,
    "title" TEXT,
    "creation" TEXT,
    "master_identifier_system" TEXT,
    "master_identifier_value" TEXT,
    "client_key" VARCHAR(128),
    "request_hash" VARCHAR(64) NOT NULL,
    "replaces_id" UUID,
    "superseded_by_id" UUID,
    "created_by_system" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "document_pointer_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "document_pointer_replaces_id_key" ON "document_pointer"("replaces_id");

-- CreateIndex
CREATE INDEX "document_pointer_nhs_number_status_created_at_id_idx" ON "document_pointer"("nhs_number", "status", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "document_pointer_custodian_ods_client_key_key" ON "document_pointer"("custodian_ods", "client_key");

-- CreateIndex
CREATE UNIQUE INDEX "document_pointer_custodian_ods_master_identifier_system_mas_key" ON "document_pointer"("custodian_ods", "master_identifier_system", "master_identifier_value");
