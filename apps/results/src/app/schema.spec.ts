import { assertSharedEventModels } from '@trellis/events';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const prismaDir = join(__dirname, '../../prisma');

describe('results schema', () => {
  it('takes the event tables from libs/events', () => {
    expect(() => assertSharedEventModels(prismaDir)).not.toThrow();
  });

  it('keeps the database-level guarantees in the migrations', () => {
    const sql = readdirSync(join(prismaDir, 'migrations'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => readFileSync(join(prismaDir, 'migrations', d.name, 'migration.sql'), 'utf8'))
      .join('\n');
    expect(sql).toContain(
      'CREATE UNIQUE INDEX "reports_lab_identifier" ON "reports"("lab_ods_code", "lab_report_id")',
    );
    expect(sql).toContain('CONSTRAINT "report_versions_pkey" PRIMARY KEY ("report_id","version")');
    expect(sql).toContain('CONSTRAINT "acknowledgements_pkey" PRIMARY KEY ("report_id","version")');
    expect(sql).toMatch(
      /CREATE INDEX "reports_safety_net" ON "reports"\("requester_ods_code", "received_at", "id"\)\s+WHERE "severity_rank" >= 1/,
    );
    expect(sql).toContain('"observations_quantity_unit_check"');
  });
});
