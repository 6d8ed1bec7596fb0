-- AlterTable
ALTER TABLE "product_versions" ADD COLUMN     "writes_restricted" BOOLEAN NOT NULL DEFAULT false;
