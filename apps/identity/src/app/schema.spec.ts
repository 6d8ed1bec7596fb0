import { assertSharedEventModels } from '@trellis/events';
import { NHS_NUMBER_ALLOCATION_SQL } from '@trellis/nhs-number';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const prismaDir = join(__dirname, '../../prisma');
const migrations = () =>
  readdirSync(join(prismaDir, 'migrations'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => readFileSync(join(prismaDir, 'migrations', d.name, 'migration.sql'), 'utf8'))
    .join('\n');

describe('identity schema', () => {
  it('takes the event tables from libs/events', () => {
    expect(() => assertSharedEventModels(prismaDir)).not.toThrow();
  });

  it('ships the NHS number allocation functions of libs/nhs-number verbatim', () => {
    expect(migrations()).toContain(NHS_NUMBER_ALLOCATION_SQL.trim());
  });

  it('keeps the trace indexes (trigram, phonetic, postcode prefix) in the migrations', () => {
    const sql = migrations();
    expect(sql).toContain('USING GIN ("family_norm" gin_trgm_ops)');
    expect(sql).toContain('(dmetaphone("family_norm"), dmetaphone("given_norm"), "birth_date")');
    expect(sql).toContain('(dmetaphone("family_norm"), "given_canon", "birth_date")');
    expect(sql).toContain('("postcode_norm" text_pattern_ops)');
  });
});
