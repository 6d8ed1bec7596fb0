/*
  Warnings:

  - A unique constraint covering the columns `[ods_code,idempotency_key]` on the table `schedules` will be added. If there are existing duplicate values, this will fail.

*/
-- AlterTable
ALTER TABLE "schedules" ADD COLUMN     "idempotency_key" TEXT,
ADD COLUMN     "request_hash" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "schedules_idempotency" ON "schedules"("ods_code", "idempotency_key");
