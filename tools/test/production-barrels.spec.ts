import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const libsDir = join(__dirname, '..', '..', 'libs');

/** libs/testing is a test-only library by design: no runtime image imports it. */
const testOnlyLibs = new Set(['testing']);

function productionBarrels(): { lib: string; source: string }[] {
  return readdirSync(libsDir)
    .filter((lib) => !testOnlyLibs.has(lib) && existsSync(join(libsDir, lib, 'src', 'index.ts')))
    .map((lib) => ({ lib, source: readFileSync(join(libsDir, lib, 'src', 'index.ts'), 'utf8') }));
}

/** A module specifier that names a test helper, a spec or a test folder. */
export function namesTestModule(specifier: string): boolean {
  return /(^|[/.-])(testing|spec|test|tests|fake|fakes|fixtures?)([/.-]|$)/.test(specifier);
}

describe('production barrels of libs/*', () => {
  it('recognises test module specifiers', () => {
    expect(namesTestModule('./testing')).toBe(true);
    expect(namesTestModule('../testing/authority')).toBe(true);
    expect(namesTestModule('./outbox/outbox.spec')).toBe(true);
    expect(namesTestModule('./test/fixtures')).toBe(true);
    expect(namesTestModule('./trace-context')).toBe(false);
    expect(namesTestModule('./attestation')).toBe(false);
    expect(namesTestModule('@trellis/auth/testing')).toBe(true);
    expect(namesTestModule('@opentelemetry/sdk-trace')).toBe(false);
  });

  it('re-export only production modules inside their own src/ (test helpers live in <lib>/testing)', () => {
    const barrels = productionBarrels();
    expect(barrels.map((b) => b.lib)).toEqual(
      expect.arrayContaining(['auth', 'events', 'telemetry']),
    );
    const offending = barrels.flatMap(({ lib, source }) =>
      [...source.matchAll(/from '([^']+)'/g)]
        .map((m) => m[1]!)
        .filter((m) => namesTestModule(m) || (m.startsWith('.') && !m.startsWith('./')))
        .map((m) => `libs/${lib}/src/index.ts: ${m}`),
    );
    expect(offending).toEqual([]);
  });
});
