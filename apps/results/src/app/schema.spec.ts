import { describeServiceSchema } from '@trellis/events/testing';
import { join } from 'node:path';

describeServiceSchema('results', join(__dirname, '../../prisma'), {
  'keeps the database-level guarantees in the migrations': (sql) => {
    expect(sql).toContain(
      'CREATE UNIQUE INDEX "reports_lab_identifier" ON "reports"("lab_ods_code", "lab_report_id")',
    );
    expect(sql).toContain('CONSTRAINT "report_versions_pkey" PRIMARY KEY ("report_id","version")');
    expect(sql).toContain('CONSTRAINT "acknowledgements_pkey" PRIMARY KEY ("report_id","version")');
    expect(sql).toMatch(
      /CREATE INDEX "reports_safety_net" ON "reports"\("requester_ods_code", "received_at", "id"\)\s+WHERE "severity_rank" >= 1/,
    );
    expect(sql).toContain('"observations_quantity_unit_check"');
  },
});
