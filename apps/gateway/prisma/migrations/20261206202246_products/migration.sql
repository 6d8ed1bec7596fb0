-- CreateEnum
CREATE TYPE "ProductRole" AS ENUM ('gp-system', 'hospital-epr', 'lab-lims', 'other');

-- AlterTable
ALTER TABLE "connected_systems" ADD COLUMN     "product_version_id" TEXT NOT NULL DEFAULT 'unclassified@legacy',
ADD COLUMN     "writes_restricted" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "products" (
    "id" TEXT NOT NULL,
    "supplier" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "ProductRole" NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "products_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "product_versions" (
    "id" TEXT NOT NULL,
    "product_id" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "product_versions_pkey" PRIMARY KEY ("id")
);

-- Systems registered before products existed deploy this version until the operator reassigns them.
-- (created_at in whole milliseconds, like every row Prisma writes: the list cursor is a JS Date)
INSERT INTO "products" ("id", "supplier", "name", "role", "created_by", "created_at")
VALUES ('unclassified', 'Unknown supplier', 'Systems registered before the product registry', 'other', 'migration', date_trunc('milliseconds', CURRENT_TIMESTAMP));
INSERT INTO "product_versions" ("id", "product_id", "version", "created_by", "created_at")
VALUES ('unclassified@legacy', 'unclassified', 'legacy', 'migration', date_trunc('milliseconds', CURRENT_TIMESTAMP));

-- CreateIndex
CREATE INDEX "products_created_idx" ON "products"("created_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "product_versions_product_version_key" ON "product_versions"("product_id", "version");

-- CreateIndex
CREATE INDEX "connected_systems_product_version_idx" ON "connected_systems"("product_version_id");

-- AddForeignKey
ALTER TABLE "connected_systems" ADD CONSTRAINT "connected_systems_product_version_id_fkey" FOREIGN KEY ("product_version_id") REFERENCES "product_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "product_versions" ADD CONSTRAINT "product_versions_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
