import { describeServiceSchema } from '@trellis/events/testing';
import { NHS_NUMBER_ALLOCATION_SQL } from '@trellis/nhs-number';
import { join } from 'node:path';

describeServiceSchema('identity', join(__dirname, '../../prisma'), {
  'ships the NHS number allocation functions of libs/nhs-number verbatim': (sql) => {
    expect(sql).toContain(NHS_NUMBER_ALLOCATION_SQL.trim());
  },
  'keeps the trace indexes (trigram, phonetic, postcode prefix) in the migrations': (sql) => {
    expect(sql).toContain('USING GIN ("family_norm" gin_trgm_ops)');
    expect(sql).toContain('(dmetaphone("family_norm"), dmetaphone("given_norm"), "birth_date")');
    expect(sql).toContain('(dmetaphone("family_norm"), "given_canon", "birth_date")');
    expect(sql).toContain('("postcode_norm" text_pattern_ops)');
  },
});
