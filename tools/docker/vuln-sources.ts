/**
 * The vulnerability data sources tools/docker/vuln-report.ts consults, each returning what it
 * checked, the date of its data, and its findings — or, when it has no data, why not.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  type ArchiveVersion,
  type Component,
  type Finding,
  matchDebian,
  matchNodeCore,
  matchNodeReleases,
  matchOsv,
  matchRetire,
  type NodeCoreEntry,
  type OsvAdvisory,
  parseNodeChangelog,
  type RetireLibrary,
  satisfiesRange,
} from './vuln-match';

export type Kind = Component['kind'];

export interface SourceResult {
  name: string;
  covers: Kind;
  /** whether the data set speaks for every component of its kind or only for those it lists */
  coverage: 'all' | 'some';
  status: 'scanned' | 'unavailable';
  origin: string;
  dataDate?: string;
  checked: number;
  detail?: string;
}

export interface SourceOutcome {
  result: SourceResult;
  findings: Finding[];
}

type Identity = Pick<SourceResult, 'name' | 'covers' | 'coverage' | 'origin'>;

const unavailable = (id: Identity, detail: string): SourceOutcome => ({
  result: { ...id, status: 'unavailable', checked: 0, detail },
  findings: [],
});

const scanned = (
  id: Identity,
  found: Pick<SourceResult, 'checked' | 'dataDate' | 'detail'>,
  findings: Finding[],
): SourceOutcome => ({ result: { ...id, status: 'scanned', ...found }, findings });

// --- the npm registry's bulk advisory endpoint -------------------------------------------------

/** npm bulk request body: package name -> versions present. */
export function bulkRequest(components: Component[]): Record<string, string[]> {
  const body: Record<string, string[]> = {};
  for (const c of components) if (c.kind === 'npm') (body[c.name] ??= []).push(c.version);
  return body;
}

interface BulkAdvisory {
  id: number;
  title: string;
  severity: string;
  url: string;
  vulnerable_versions: string;
}

/** The registry answers per package name; an unreadable range counts as affecting the version. */
function inBulkRange(version: string, range: string): boolean {
  try {
    return satisfiesRange(version, range);
  } catch {
    return true;
  }
}

export async function npmBulk(
  components: Component[],
  registryUrl: string,
): Promise<SourceOutcome> {
  const endpoint = `${registryUrl}-/npm/v1/security/advisories/bulk`;
  const id: Identity = {
    name: 'npm-bulk',
    covers: 'npm',
    coverage: 'all',
    origin: `POST ${endpoint}`,
  };
  const npm = components.filter((c) => c.kind === 'npm');
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(bulkRequest(npm)),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    return unavailable(id, (err as Error).message);
  }
  if (!res.ok) return unavailable(id, `${res.status} ${res.statusText}`);
  const body = (await res.json()) as Record<string, BulkAdvisory[]>;
  const findings = npm.flatMap((c) =>
    (body[c.name] ?? [])
      .filter((a) => inBulkRange(c.version, a.vulnerable_versions))
      .map((a) => ({
        source: id.name,
        purl: c.purl,
        id: String(a.id),
        aliases: [],
        severity: a.severity,
        summary: `${a.title} (${a.vulnerable_versions})`,
        url: a.url,
      })),
  );
  return scanned(
    id,
    { checked: npm.length, dataDate: new Date().toISOString().slice(0, 10) },
    findings,
  );
}

// --- data sets in the data directory (tools/docker/vuln-data.sh) --------------------------------

interface DataSet {
  origin: string;
  commit?: string;
  date?: string;
}

/** <data>/sources.json: each data set's origin, commit and date, as vuln-data.sh recorded them. */
function dataSet(dataDir: string, key: string, file: string): { origin: string; date?: string } {
  const path = join(dataDir, 'sources.json');
  const sets = existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, DataSet>)
    : {};
  const set = sets[key];
  if (!set) return { origin: file };
  return {
    origin: `${set.origin}${set.commit ? ` @ ${set.commit.slice(0, 12)}` : ''}`,
    date: set.date || undefined,
  };
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => join(e.parentPath, e.name));
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** A source read from a file (or folder) of <data>: unavailable when it is absent. */
function fromData(
  dataDir: string,
  entry: { key: string; file: string; identity: Omit<Identity, 'origin'> },
  read: (path: string, id: Identity, date: string | undefined) => SourceOutcome,
): SourceOutcome {
  const path = join(dataDir, entry.file);
  const set = dataSet(dataDir, entry.key, path);
  const id: Identity = { ...entry.identity, origin: set.origin };
  return existsSync(path) ? read(path, id, set.date) : unavailable(id, `no data at ${path}`);
}

const nodeCount = (components: Component[]): number =>
  components.filter((c) => c.kind === 'node').length;

export function osvSource(components: Component[], dataDir: string): SourceOutcome {
  const identity = { name: 'osv', covers: 'npm', coverage: 'all' } as const;
  return fromData(dataDir, { key: 'osv', file: 'osv', identity }, (dir, id, date) => {
    const advisories = jsonFiles(dir)
      .map((f) => readJson<OsvAdvisory>(f))
      .filter((a) => a.affected?.some((e) => e.package?.ecosystem === 'npm'));
    if (advisories.length === 0) return unavailable(id, `no npm advisory in ${dir}`);
    const newest = advisories
      .reduce((d, a) => ((a.modified ?? '') > d ? (a.modified ?? '') : d), '')
      .slice(0, 10);
    const npm = components.filter((c) => c.kind === 'npm');
    const detail = `${advisories.length} npm advisories, newest modified ${newest}`;
    const found = { checked: npm.length, dataDate: date ?? newest, detail };
    return scanned(id, found, matchOsv(npm, advisories));
  });
}

export function retireSource(components: Component[], dataDir: string): SourceOutcome {
  const identity = { name: 'retire', covers: 'npm', coverage: 'some' } as const;
  return fromData(dataDir, { key: 'retire', file: 'retire.json', identity }, (file, id, date) => {
    const repository = readJson<Record<string, RetireLibrary>>(file);
    const { findings, tracked, unreadable } = matchRetire(components, repository);
    const libraries = Object.keys(repository).length;
    const detail = `${libraries} libraries tracked, ${tracked} of the SBOM's packages among them${unreadable.length ? `; unreadable ranges: ${unreadable.join(', ')}` : ''}`;
    return scanned(id, { checked: tracked, dataDate: date, detail }, findings);
  });
}

export function nodeReleasesSource(components: Component[], dataDir: string): SourceOutcome {
  const identity = { name: 'nodejs-releases', covers: 'node', coverage: 'all' } as const;
  const entry = { key: 'node-release', file: 'node-changelog.md', identity };
  return fromData(dataDir, entry, (file, id) => {
    const releases = parseNodeChangelog(readFileSync(file, 'utf8'));
    if (releases.length === 0) return unavailable(id, `no release in ${file}`);
    const newest = releases.reduce((a, r) => (r.date > a.date ? r : a));
    const secure = releases.filter((r) => r.security.length > 0).length;
    const detail = `${releases.length} releases up to ${newest.version}, ${secure} of them security releases`;
    const found = { checked: nodeCount(components), dataDate: newest.date, detail };
    return scanned(id, found, matchNodeReleases(components, releases));
  });
}

export function nodeCoreSource(components: Component[], dataDir: string): SourceOutcome {
  const identity = { name: 'nodejs-core', covers: 'node', coverage: 'all' } as const;
  const entry = { key: 'node-core', file: 'node-core.json', identity };
  return fromData(dataDir, entry, (file, id, date) => {
    const entries = readJson<Record<string, NodeCoreEntry>>(file);
    const { findings, unreadable } = matchNodeCore(components, entries);
    const detail = `${Object.keys(entries).length} entries${unreadable.length ? `; unreadable ranges in ${unreadable.join(', ')}` : ''}`;
    return scanned(id, { checked: nodeCount(components), dataDate: date, detail }, findings);
  });
}

// --- the Debian archive, through the host's apt ------------------------------------------------

export interface Apt {
  /** `apt-cache madison <names>` */
  madison: (names: string[]) => string;
  /** the InRelease files of the apt lists */
  releases: () => string[];
  osRelease: string;
}

export function hostApt(): Apt {
  const lists = '/var/lib/apt/lists';
  return {
    madison: (names) => execFileSync('apt-cache', ['madison', ...names], { encoding: 'utf8' }),
    releases: () =>
      existsSync(lists)
        ? readdirSync(lists)
            .filter((f) => f.endsWith('_InRelease'))
            .map((f) => readFileSync(join(lists, f), 'utf8'))
        : [],
    osRelease: existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '',
  };
}

/** `libc6 | 2.36-9+deb12u14 | http://… bookworm-security/main amd64 Packages` -> versions by name. */
export function parseMadison(out: string): Map<string, ArchiveVersion[]> {
  const archive = new Map<string, ArchiveVersion[]>();
  for (const line of out.split('\n')) {
    const [name, version, from] = line.split('|').map((s) => s.trim());
    if (!name || !version || !from) continue;
    const suite = (from.split(/\s+/)[1] ?? '').split('/')[0] ?? '';
    archive.set(name, [...(archive.get(name) ?? []), { version, suite }]);
  }
  return archive;
}

/** `KEY=value` (os-release) or `Key: value` (Release files). */
const field = (text: string, key: string): string | undefined =>
  new RegExp(`^${key}(?:=|: )(.*)$`, 'm').exec(text)?.[1]?.replace(/"/g, '');

/** Only when the host's apt lists are of the SBOM's Debian release: the newest version each serves. */
export function debianSource(components: Component[], apt: () => Apt = hostApt): SourceOutcome {
  const debs = components.filter((c) => c.kind === 'deb');
  const id: Identity = {
    name: 'debian-archive',
    covers: 'deb',
    coverage: 'all',
    origin: 'apt lists of this host',
  };
  const release = /distro=debian-(\d+)/.exec(debs[0]?.purl ?? '')?.[1];
  try {
    const host = apt();
    const [os, version] = [field(host.osRelease, 'ID'), field(host.osRelease, 'VERSION_ID')];
    if (os !== 'debian' || version !== release)
      return unavailable(
        id,
        `host is ${os ?? '?'} ${version ?? '?'}, the SBOM's packages are debian ${release ?? '?'}`,
      );
    const suites = host.releases().map((r) => ({
      suite: field(r, 'Suite') ?? '?',
      date: new Date(field(r, 'Date') ?? '').toISOString().slice(0, 10),
    }));
    if (suites.length === 0) return unavailable(id, 'no apt lists (run apt-get update)');
    const { findings, unlisted } = matchDebian(
      debs,
      parseMadison(host.madison(debs.map((d) => d.name))),
    );
    const dates = suites.map((s) => `${s.suite} ${s.date}`).sort();
    const detail = `Release dates: ${dates.join(', ')}${unlisted.length ? `; not in the lists: ${unlisted.join(', ')}` : ''}`;
    const newest = suites
      .map((s) => s.date)
      .sort()
      .pop();
    return scanned(
      id,
      { checked: debs.length - unlisted.length, dataDate: newest, detail },
      findings,
    );
  } catch (err) {
    return unavailable(id, (err as Error).message);
  }
}
