import { describeServiceSchema } from '@trellis/events/testing';
import { join } from 'node:path';

describeServiceSchema('referrals', join(__dirname, '../../prisma'), {
  'keeps the database-level guarantees in the migrations': (sql) => {
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
  },
});
