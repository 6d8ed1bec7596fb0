-- CreateIndex
CREATE INDEX "traffic_counters_bucket_idx" ON "traffic_counters"("bucket_start");
