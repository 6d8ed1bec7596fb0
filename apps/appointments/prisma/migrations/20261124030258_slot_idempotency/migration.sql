/*
  Warnings:

  - A unique constraint covering the columns `[ods_code,idempotency_key]` on the table `slots` will be added. If there are existing duplicate values, this will fail.

*/
-- AlterTable
ALTER TABLE "slots" ADD COLUMN     "idempotency_key" TEXT,
ADD COLUMN     "request_hash" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "slots_idempotency" ON "slots"("ods_code", "idempotency_key");
