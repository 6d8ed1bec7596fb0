-- Free-slot search by service type together with an organisation or a region: walk one partial
-- index in start order instead of filtering a service type's whole window on the heap.
CREATE INDEX "slots_free_service_ods_start_idx" ON "slots"("service_type", "ods_code", "start_at", "id")
    WHERE "status" = 'free';
CREATE INDEX "slots_free_service_region_start_idx" ON "slots"("service_type", "region", "start_at", "id")
    WHERE "status" = 'free';
