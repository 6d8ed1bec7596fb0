import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInfraEnv, parseEnvFile } from './infra-env';

describe('infra env', () => {
  it('parses KEY=VALUE lines with comments, export and quotes', () => {
    expect(parseEnvFile('# c\nA=1\nexport B="two words"\n\nC=\'x=y\'\nnot a line\n')).toEqual({
      A: '1',
      B: 'two words',
      C: 'x=y',
    });
  });

  it('loads the file without overriding variables already set', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'env-')), 'infra.env');
    writeFileSync(file, 'DATABASE_URL=postgresql://from-file/db\nTRELLIS_TEST_ONLY_X=file\n');
    const saved = { url: process.env.DATABASE_URL, x: process.env.TRELLIS_TEST_ONLY_X };
    try {
      process.env.DATABASE_URL = 'postgresql://from-env/db';
      delete process.env.TRELLIS_TEST_ONLY_X;
      const env = loadInfraEnv(file);
      expect(env.DATABASE_URL).toBe('postgresql://from-env/db');
      expect(process.env.TRELLIS_TEST_ONLY_X).toBe('file');
    } finally {
      if (saved.url === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved.url;
      if (saved.x === undefined) delete process.env.TRELLIS_TEST_ONLY_X;
      else process.env.TRELLIS_TEST_ONLY_X = saved.x;
    }
  });

  it('explains how to get DATABASE_URL when it is nowhere', () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      expect(() => loadInfraEnv('/nonexistent/infra.env')).toThrow(/tools\/setup\/postgres.sh/);
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
  });
});
