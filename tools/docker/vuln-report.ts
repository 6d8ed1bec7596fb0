/**
 * Vulnerability report of a staged runtime directory, from its CycloneDX SBOM:
 *
 *   node -r @swc-node/register tools/docker/vuln-report.ts <dir>.sbom.cdx.json [--strict]
 *
 * Sends the SBOM's npm packages and versions to the configured npm registry's bulk advisory
 * endpoint (what `npm audit` uses) and writes <dir>.vuln.json: the advisories found, or why no
 * scan was possible (the endpoint refused or was unreachable). Without --strict an unavailable
 * advisory source does not fail the build (the report says so); --strict fails it, and always
 * fails on a high or critical advisory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';

import type { CdxBom } from './sbom';

export interface Advisory {
  id: number;
  title: string;
  severity: string;
  url: string;
  vulnerable_versions: string;
}

export interface VulnReport {
  sbom: string;
  endpoint: string;
  scannedAt: string;
  packages: number;
  status: 'scanned' | 'unavailable';
  detail?: string;
  advisories: Record<string, Advisory[]>;
  counts: Record<string, number>;
}

/** The bulk request body: package name -> versions present. */
export function bulkRequest(bom: CdxBom): Record<string, string[]> {
  const body: Record<string, string[]> = {};
  for (const c of bom.components) (body[c.name] ??= []).push(c.version);
  return body;
}

export function countBySeverity(advisories: Record<string, Advisory[]>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const list of Object.values(advisories))
    for (const a of list) counts[a.severity] = (counts[a.severity] ?? 0) + 1;
  return counts;
}

function registry(): string {
  try {
    const url = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim();
    return url.endsWith('/') ? url : `${url}/`;
  } catch (err) {
    throw new Error(`cannot read the npm registry from npm config: ${(err as Error).message}`);
  }
}

const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Trusts the CA file npm is configured with (`cafile`), as npm does: behind a TLS-intercepting
 * proxy, Node's own fetch would otherwise fail ("fetch failed") before the registry answers.
 * Returns the number of certificates added.
 */
export function trustNpmCafile(): number {
  let cafile = '';
  try {
    cafile = execFileSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8' }).trim();
  } catch {
    return 0;
  }
  if (!cafile || cafile === 'null' || cafile === 'undefined' || !existsSync(cafile)) return 0;
  const added = readFileSync(cafile, 'utf8').match(PEM_RE) ?? [];
  if (added.length > 0) setDefaultCACertificates([...getCACertificates('default'), ...added]);
  return added.length;
}

export async function scan(sbomPath: string, registryUrl = registry()): Promise<VulnReport> {
  const bom = JSON.parse(readFileSync(sbomPath, 'utf8')) as CdxBom;
  const endpoint = `${registryUrl}-/npm/v1/security/advisories/bulk`;
  const base = {
    sbom: sbomPath,
    endpoint,
    scannedAt: new Date().toISOString(),
    packages: bom.components.length,
  };
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(bulkRequest(bom)),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    return {
      ...base,
      status: 'unavailable',
      detail: (err as Error).message,
      advisories: {},
      counts: {},
    };
  }
  if (!res.ok) {
    return {
      ...base,
      status: 'unavailable',
      detail: `${res.status} ${res.statusText} from POST ${endpoint}`,
      advisories: {},
      counts: {},
    };
  }
  const advisories = (await res.json()) as Record<string, Advisory[]>;
  return { ...base, status: 'scanned', advisories, counts: countBySeverity(advisories) };
}

async function main(argv: string[]): Promise<number> {
  const sbomPath = argv[0];
  if (!sbomPath || sbomPath.startsWith('-')) {
    console.error('usage: vuln-report.ts <dir>.sbom.cdx.json [--strict]');
    return 2;
  }
  trustNpmCafile();
  const report = await scan(sbomPath);
  const out = sbomPath.replace(/\.sbom\.cdx\.json$/, '') + '.vuln.json';
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const serious = (report.counts['high'] ?? 0) + (report.counts['critical'] ?? 0);
  console.log(
    report.status === 'scanned'
      ? `[vuln] ${report.packages} packages scanned: ${JSON.stringify(report.counts)} -> ${out}`
      : `[vuln] NOT SCANNED (${report.detail}) -> ${out}`,
  );
  if (serious > 0) return 1;
  return report.status === 'unavailable' && argv.includes('--strict') ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`[vuln] ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
