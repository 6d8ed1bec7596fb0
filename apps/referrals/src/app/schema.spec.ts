import { assertSharedEventModels } from '@trellis/events';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const prismaDir = join(__dirname, '../../prisma');

describe('referrals schema', () => {
  it('takes the event tables from libs/events', () => {
    expect(() => assertSharedEventModels(prismaDir)).not.toThrow();
  });

  it('keeps the database-level guarantees in the migrations', () => {
    const sql = readdirSync(join(prismaDir, 'migrations'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => readFileSync(join(prismaDir, 'migrations', d.name, 'migration.sql'), 'utf8'))
      .join('\n');
    expect(sql).toContain(
      'CREATE UNIQUE INDEX "referrals_idempotency" ON "referrals"("referrer_ods_code", "idempotency_key")',
    );
    expect(sql).toMatch(
      /CREATE INDEX "referrals_open_pathways_region_idx"[^;]+WHERE "rtt_stopped_at" IS NULL/,
    );
    expect(sql).toMatch(
      /"referral_attachments_size_check" CHECK \("size" >= 0 AND "size" <= 1048576/,
    );
    // every change to a referral is versioned by the database, in the same transaction
    expect(sql).toMatch(
      /CREATE TRIGGER "referrals_version_snapshot"\s+AFTER INSERT OR UPDATE ON "referrals"\s+FOR EACH ROW/,
    );
    expect(sql).toContain('PRIMARY KEY ("referral_id","version")');
  });
});
