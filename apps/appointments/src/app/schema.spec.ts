import { assertSharedEventModels } from '@trellis/events';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const prismaDir = join(__dirname, '../../prisma');

describe('appointments schema', () => {
  it('takes the event tables from libs/events', () => {
    expect(() => assertSharedEventModels(prismaDir)).not.toThrow();
  });

  it('keeps the database-level booking guarantees in the migrations', () => {
    const sql = readdirSync(join(prismaDir, 'migrations'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => readFileSync(join(prismaDir, 'migrations', d.name, 'migration.sql'), 'utf8'))
      .join('\n');
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
  });
});
