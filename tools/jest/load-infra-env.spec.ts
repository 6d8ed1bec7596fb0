// The .trellis/infra.env reader shared by Jest's globalSetup and setupFiles.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// CommonJS helper without types: describe the two functions used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lib = require('./load-infra-env.cjs') as {
  parseInfraEnv(text: string): Record<string, string>;
  loadInfraEnv(file: string): Record<string, string>;
};

describe('infra.env loader', () => {
  it('parses KEY=value lines, ignoring comments, blanks, `export` and quotes', () => {
    const text = [
      '# generated',
      '',
      'DATABASE_URL=postgresql://trellis:abc@127.0.0.1:5432/trellis',
      'export KAFKA_BROKERS=127.0.0.1:9092',
      'QUOTED="a b"',
      "SINGLE='x=y'",
      'not a line',
      'EMPTY=',
    ].join('\n');
    expect(lib.parseInfraEnv(text)).toEqual({
      DATABASE_URL: 'postgresql://trellis:abc@127.0.0.1:5432/trellis',
      KAFKA_BROKERS: '127.0.0.1:9092',
      QUOTED: 'a b',
      SINGLE: 'x=y',
      EMPTY: '',
    });
  });

  it('sets missing variables but never overrides the environment', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'infra-env-'));
    const file = path.join(dir, 'infra.env');
    writeFileSync(file, 'TRELLIS_T_A=from-file\nTRELLIS_T_B=from-file\n');
    process.env['TRELLIS_T_B'] = 'from-env';
    delete process.env['TRELLIS_T_A'];
    try {
      expect(lib.loadInfraEnv(file)).toEqual({
        TRELLIS_T_A: 'from-file',
        TRELLIS_T_B: 'from-file',
      });
      expect(process.env['TRELLIS_T_A']).toBe('from-file');
      expect(process.env['TRELLIS_T_B']).toBe('from-env');
    } finally {
      delete process.env['TRELLIS_T_A'];
      delete process.env['TRELLIS_T_B'];
    }
  });

  it('returns nothing when the file does not exist', () => {
    expect(lib.loadInfraEnv(path.join(tmpdir(), 'no-such-dir', 'infra.env'))).toEqual({});
  });
});
