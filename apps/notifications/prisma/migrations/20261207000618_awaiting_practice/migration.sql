-- CreateTable
CREATE TABLE "awaiting_practice" (
    "nhs_number" TEXT NOT NULL,
    "source_event_id" TEXT NOT NULL,
    "source_event_type" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "focus" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(6) NOT NULL,
    "recorded_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "awaiting_practice_pkey" PRIMARY KEY ("nhs_number","source_event_id")
);

-- CreateIndex
CREATE INDEX "awaiting_practice_recorded_at_idx" ON "awaiting_practice"("recorded_at");
