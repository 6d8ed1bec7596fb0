import { describeServiceSchema } from '@trellis/events/testing';
import { join } from 'node:path';

describeServiceSchema('appointments', join(__dirname, '../../prisma'), {
  'keeps the database-level booking guarantees in the migrations': (sql) => {
    expect(sql).toMatch(
      /CONSTRAINT "slots_no_overlap"\s+EXCLUDE USING gist \("schedule_id" WITH =, tstzrange\("start_at", "end_at", '\[\)'\) WITH &&\)/,
    );
    expect(sql).toMatch(
      /CREATE UNIQUE INDEX "appointments_one_active_per_slot" ON "appointments"\("slot_id"\)\s+WHERE "status" <> 'cancelled'/,
    );
    expect(sql).toContain(
      'CREATE UNIQUE INDEX "appointments_idempotency" ON "appointments"("booking_ods_code", "idempotency_key")',
    );
    // one version row per (appointment, version): a change that forgets to bump the version fails
    expect(sql).toContain(
      'CONSTRAINT "appointment_versions_pkey" PRIMARY KEY ("appointment_id","version")',
    );
  },
});
