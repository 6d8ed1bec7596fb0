/**
 * CycloneDX 1.6 SBOM (JSON) of a staged runtime directory: one component per package copied into
 * its node_modules, with the version, purl, license and the lock file's integrity hash. Written
 * by tools/docker/runtime-dir.ts beside the directory (<dir>.sbom.cdx.json).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Lockfile } from './runtime-dir';

export interface CdxComponent {
  type: 'library';
  'bom-ref': string;
  name: string;
  version: string;
  purl: string;
  licenses?: { expression: string }[];
  hashes?: { alg: 'SHA-512' | 'SHA-384' | 'SHA-256' | 'SHA-1'; content: string }[];
}

export interface CdxBom {
  bomFormat: 'CycloneDX';
  specVersion: '1.6';
  serialNumber: string;
  version: 1;
  metadata: {
    timestamp: string;
    component: { type: 'application'; name: string; version: string };
  };
  components: CdxComponent[];
}

/** pkg:npm purl: the scope's @ is percent-encoded (purl spec). */
export function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
}

const SRI_ALG = { sha512: 'SHA-512', sha384: 'SHA-384', sha256: 'SHA-256', sha1: 'SHA-1' } as const;

/** Subresource-integrity string (`sha512-<base64>`) to a CycloneDX hash (hex). */
export function sriToHash(sri: string): CdxComponent['hashes'] {
  const [alg, b64] = sri.split(/-(.*)/s);
  const cdx = SRI_ALG[alg as keyof typeof SRI_ALG];
  if (cdx === undefined || !b64) return undefined;
  return [{ alg: cdx, content: Buffer.from(b64, 'base64').toString('hex') }];
}

/** Name of the package at a lock location (`node_modules/a/node_modules/@s/b` -> `@s/b`). */
export function nameAt(location: string): string {
  return location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

export function buildSbom(
  app: { name: string; version: string },
  lock: Lockfile,
  locations: readonly string[],
  root: string,
  now = new Date(),
): CdxBom {
  const components = new Map<string, CdxComponent>();
  for (const loc of locations) {
    const entry = lock.packages[loc]!;
    const name = nameAt(loc);
    const version = entry.version ?? '0.0.0';
    const purl = npmPurl(name, version);
    if (components.has(purl)) continue;
    let license = entry.license;
    const manifest = join(root, loc, 'package.json');
    if (license === undefined && existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { license?: unknown };
      if (typeof pkg.license === 'string') license = pkg.license;
    }
    const hashes = entry.integrity ? sriToHash(entry.integrity) : undefined;
    components.set(purl, {
      type: 'library',
      'bom-ref': purl,
      name,
      version,
      purl,
      ...(license ? { licenses: [{ expression: license }] } : {}),
      ...(hashes ? { hashes } : {}),
    });
  }
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: now.toISOString(),
      component: { type: 'application', name: app.name, version: app.version },
    },
    components: [...components.values()].sort((a, b) => a.purl.localeCompare(b.purl)),
  };
}
