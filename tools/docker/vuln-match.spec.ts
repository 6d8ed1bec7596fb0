import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { REPO_ROOT } from './build';
import type { Lockfile } from './runtime-dir';
import { nameAt, npmPurl } from './sbom';
import {
  compareDebian,
  compareSemver,
  type Component,
  componentOf,
  matchDebian,
  matchNodeCore,
  matchNodeReleases,
  matchOsv,
  matchRetire,
  type OsvAdvisory,
  parseNodeChangelog,
  satisfiesRange,
} from './vuln-match';

const npm = (name: string, version: string): Component => ({
  kind: 'npm',
  name,
  version,
  purl: `pkg:npm/${name}@${version}`,
});

describe('componentOf', () => {
  it('reads npm (scoped), node and Debian purls, decoding the version', () => {
    expect(componentOf('pkg:npm/%40grpc/grpc-js@1.14.0')).toMatchObject({
      kind: 'npm',
      name: '@grpc/grpc-js',
      version: '1.14.0',
    });
    expect(componentOf('pkg:generic/nodejs/node@24.21.0')).toMatchObject({
      kind: 'node',
      version: '24.21.0',
    });
    expect(
      componentOf('pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12.12'),
    ).toMatchObject({
      kind: 'deb',
      name: 'libc6',
      version: '2.36-9+deb12u14',
    });
    expect(componentOf('pkg:generic/other/thing@1.0.0')).toBeUndefined();
  });
});

describe('version order', () => {
  it('follows SemVer precedence, pre-releases below their release', () => {
    const ordered = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0',
      '1.2.3',
      '1.10.0',
    ];
    for (let i = 1; i < ordered.length; i++)
      expect(compareSemver(ordered[i - 1] ?? '', ordered[i] ?? '')).toBeLessThan(0);
    expect(compareSemver('1.0.0+build.5', '1.0.0')).toBe(0);
    expect(compareSemver('latest', '1.0.0')).toBeUndefined();
  });

  it('follows dpkg for Debian versions (epoch, ~, numeric runs, revisions)', () => {
    expect(compareDebian('2.36-9+deb12u14', '2.36-9+deb12u7')).toBeGreaterThan(0);
    expect(compareDebian('1.0~rc1-1', '1.0-1')).toBeLessThan(0);
    expect(compareDebian('1:0.9-1', '2.0-1')).toBeGreaterThan(0);
    expect(compareDebian('12.2.0-14+deb12u1', '12.2.0-14')).toBeGreaterThan(0);
    expect(compareDebian('1.0a-1', '1.0-1')).toBeGreaterThan(0);
    expect(compareDebian('1.0+dfsg-2', '1.0+dfsg-2')).toBe(0);
  });

  it("evaluates the working group's ranges", () => {
    expect(satisfiesRange('24.21.0', '20.x || 22.x || 24.x || 25.x')).toBe(true);
    expect(satisfiesRange('18.1.0', '8.x')).toBe(false);
    expect(satisfiesRange('24.21.0', '^20.20.2 || ^24.14.1')).toBe(true);
    expect(satisfiesRange('24.10.0', '^20.20.2 || ^24.14.1')).toBe(false);
    expect(satisfiesRange('6.2.0', '>= 6.1.0 <6.3.0')).toBe(true);
    expect(satisfiesRange('6.3.0', '>=6.1.0 <6.3.0')).toBe(false);
    expect(satisfiesRange('10.9.0', '<= 10')).toBe(true);
    expect(satisfiesRange('11.0.0', '<= 10')).toBe(false);
    expect(satisfiesRange('10.2.0', '> 10.1')).toBe(true);
    expect(satisfiesRange('10.1.9', '> 10.1')).toBe(false);
    expect(() => satisfiesRange('1.0.0', '>=next')).toThrow(/unreadable/);
  });
});

describe('matchOsv', () => {
  const advisory: OsvAdvisory = {
    id: 'GHSA-aaaa-bbbb-cccc',
    aliases: ['CVE-2026-0001'],
    summary: 'Prototype pollution',
    database_specific: { severity: 'HIGH' },
    references: [{ type: 'ADVISORY', url: 'https://example.test/a' }],
    affected: [
      {
        package: { ecosystem: 'npm', name: 'lib' },
        ranges: [
          {
            type: 'SEMVER',
            events: [
              { introduced: '0' },
              { fixed: '1.2.3' },
              { introduced: '2.0.0' },
              { fixed: '2.0.5' },
            ],
          },
        ],
      },
      {
        package: { ecosystem: 'npm', name: 'other' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '3.0.0' }, { last_affected: '3.1.0' }] }],
      },
      { package: { ecosystem: 'npm', name: 'pinned' }, versions: ['0.4.2'] },
      {
        package: { ecosystem: 'PyPI', name: 'lib' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
      },
    ],
  };

  it('finds a version inside any introduced..fixed segment and names the nearest fix', () => {
    const hits = matchOsv([npm('lib', '1.0.0'), npm('lib', '2.0.1')], [advisory]);
    expect(hits.map((h) => [h.purl, h.fixedIn])).toEqual([
      ['pkg:npm/lib@1.0.0', '1.2.3'],
      ['pkg:npm/lib@2.0.1', '2.0.5'],
    ]);
    expect(hits[0]).toMatchObject({
      id: 'GHSA-aaaa-bbbb-cccc',
      aliases: ['CVE-2026-0001'],
      severity: 'high',
      url: 'https://example.test/a',
    });
  });

  it('leaves fixed versions, versions between segments, other ecosystems and withdrawn advisories alone', () => {
    expect(
      matchOsv([npm('lib', '1.2.3'), npm('lib', '1.5.0'), npm('lib', '2.0.5')], [advisory]),
    ).toEqual([]);
    expect(
      matchOsv([npm('lib', '1.0.0')], [{ ...advisory, withdrawn: '2026-01-01T00:00:00Z' }]),
    ).toEqual([]);
  });

  it('honours last_affected and explicit version lists', () => {
    const hits = matchOsv(
      [
        npm('other', '3.1.0'),
        npm('other', '3.1.1'),
        npm('pinned', '0.4.2'),
        npm('pinned', '0.4.3'),
      ],
      [advisory],
    );
    expect(hits.map((h) => h.purl)).toEqual(['pkg:npm/other@3.1.0', 'pkg:npm/pinned@0.4.2']);
  });
});

describe('matchNodeCore', () => {
  const node = (version: string): Component => ({
    kind: 'node',
    name: 'node',
    version,
    purl: `pkg:generic/nodejs/node@${version}`,
  });
  const entries = {
    '170': {
      cve: ['CVE-2026-21717'],
      vulnerable: '20.x || 22.x || 24.x',
      patched: '^20.20.2 || ^22.22.2 || ^24.14.1',
      severity: 'medium',
    },
    '171': { vulnerable: '24.x', patched: 'next' },
  };

  it('reports an entry whose vulnerable range holds the version and whose patched range does not', () => {
    const { findings, unreadable } = matchNodeCore([node('24.10.0')], entries);
    expect(findings).toEqual([
      expect.objectContaining({
        id: 'CVE-2026-21717',
        severity: 'medium',
        fixedIn: '^20.20.2 || ^22.22.2 || ^24.14.1',
      }),
    ]);
    expect(unreadable).toEqual(['171']);
    expect(matchNodeCore([node('24.21.0')], { '170': entries['170'] }).findings).toEqual([]);
  });
});

describe('matchDebian', () => {
  const deb = (name: string, version: string): Component => ({
    kind: 'deb',
    name,
    version,
    purl: `pkg:deb/debian/${name}@${version}`,
  });
  const archive = new Map([
    [
      'libc6',
      [
        { version: '2.36-9+deb12u14', suite: 'bookworm' },
        { version: '2.36-9+deb12u15', suite: 'bookworm-security' },
      ],
    ],
    ['libgcc-s1', [{ version: '12.2.0-14+deb12u1', suite: 'bookworm' }]],
  ]);

  it('flags a package older than the newest version served, naming the suite', () => {
    const { findings, unlisted } = matchDebian(
      [deb('libc6', '2.36-9+deb12u14'), deb('libgcc-s1', '12.2.0-14+deb12u1'), deb('libfoo', '1')],
      archive,
    );
    expect(findings).toEqual([
      expect.objectContaining({
        id: 'libc6@2.36-9+deb12u15',
        severity: 'security-update',
        fixedIn: '2.36-9+deb12u15',
      }),
    ]);
    expect(unlisted).toEqual(['libfoo']);
  });
});

describe('matchRetire', () => {
  const repository = {
    protobufjs: {
      npmname: 'protobufjs',
      vulnerabilities: [
        {
          atOrAbove: '8.0.0',
          below: '8.6.6',
          severity: 'medium',
          identifiers: { githubID: 'GHSA-x', CVE: ['CVE-2026-1'], summary: 'DoS' },
          info: ['https://example.test/x'],
        },
        {
          atOrAbove: '0',
          below: '6.11.3',
          severity: 'high',
          identifiers: { CVE: ['CVE-2022-25878'] },
        },
        { atOrAbove: '6', below: '6.10', severity: 'low', identifiers: { CVE: ['CVE-2000-1'] } },
        { below: '6.11.4.1', severity: 'low' },
      ],
    },
    'moment.js': { npmname: 'moment', vulnerabilities: [{ below: '2.29.4', severity: 'high' }] },
  };

  it('matches by npm name within atOrAbove..below and counts the SBOM packages it tracks', () => {
    const r = matchRetire(
      [
        npm('protobufjs', '8.6.5'),
        npm('protobufjs', '8.6.6'),
        npm('moment', '2.30.1'),
        npm('pg', '8.0.0'),
      ],
      repository,
    );
    expect(r.findings).toEqual([
      {
        source: 'retire',
        purl: 'pkg:npm/protobufjs@8.6.5',
        id: 'GHSA-x',
        aliases: ['CVE-2026-1'],
        severity: 'medium',
        summary: 'DoS',
        fixedIn: '8.6.6',
        url: 'https://example.test/x',
      },
    ]);
    expect(r.tracked).toBe(3);
    const old = matchRetire([npm('protobufjs', '6.10.0')], repository);
    expect(old.findings.map((f) => f.id)).toEqual(['CVE-2022-25878']);
    expect(matchRetire([npm('protobufjs', '6.9.9')], repository).findings.map((f) => f.id)).toEqual(
      ['CVE-2022-25878', 'CVE-2000-1'],
    );
    expect(old.unreadable).toEqual(['protobufjs ..6.11.4.1']);
  });
});

describe('Node.js release changelog', () => {
  const changelog = [
    '# Node.js 24 ChangeLog',
    '<a id="24.22.3"></a>',
    "## 2026-11-11, Version 24.22.3 'Krypton' (LTS), @someone",
    'This is a security release.',
    '### Notable Changes',
    '* (CVE-2026-0003) http2: release headers when a stream is removed (A. Person) – High',
    '* (CVE-2026-0003) http2: a second commit for the same CVE (A. Person) – High',
    '* (CVE-2026-0004) tls: a fix without a severity (A. Person)',
    '### Commits',
    '* [`abc`] - **(CVE-2026-0003)** **http2**: release headers (A. Person)',
    "## 2026-10-14, Version 24.22.0 'Krypton' (LTS), @someone",
    '### Notable Changes',
    '* (CVE-2099-0001) a line in a release that is not a security release – High',
    "## 2026-09-08, Version 24.21.0 'Krypton' (LTS), @someone",
    'This is a security release.',
    '* (CVE-2026-0001) fixed before the image was built - Medium',
  ].join('\n');
  const node = (version: string): Component => ({
    kind: 'node',
    name: 'node',
    version,
    purl: `pkg:generic/nodejs/node@${version}`,
  });

  it('reads each release and the CVEs of security releases only', () => {
    expect(parseNodeChangelog(changelog)).toEqual([
      {
        version: '24.22.3',
        date: '2026-11-11',
        security: [
          {
            cve: 'CVE-2026-0003',
            summary: 'http2: release headers when a stream is removed (A. Person)',
            severity: 'high',
          },
          {
            cve: 'CVE-2026-0003',
            summary: 'http2: a second commit for the same CVE (A. Person)',
            severity: 'high',
          },
          {
            cve: 'CVE-2026-0004',
            summary: 'tls: a fix without a severity (A. Person)',
            severity: 'unknown',
          },
        ],
      },
      { version: '24.22.0', date: '2026-10-14', security: [] },
      {
        version: '24.21.0',
        date: '2026-09-08',
        security: [
          { cve: 'CVE-2026-0001', summary: 'fixed before the image was built', severity: 'medium' },
        ],
      },
    ]);
  });

  it('reports the CVEs of newer security releases of the same line, once each', () => {
    const releases = parseNodeChangelog(changelog);
    expect(
      matchNodeReleases([node('24.21.0')], releases).map((f) => [f.id, f.severity, f.fixedIn]),
    ).toEqual([
      ['CVE-2026-0003', 'high', '24.22.3'],
      ['CVE-2026-0004', 'unknown', '24.22.3'],
    ]);
    expect(matchNodeReleases([node('24.22.3')], releases)).toEqual([]);
    expect(matchNodeReleases([node('22.1.0')], releases)).toEqual([]);
  });
});

describe('the SBOM writer and the matcher agree on purls (the real lock file)', () => {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  const installed = Object.entries(lock.packages)
    .filter(([location, p]) => location.includes('node_modules/') && p.version)
    .map(([location, p]) => ({ name: nameAt(location), version: p.version ?? '' }));

  it('reads back every locked package, scoped ones included, and matches it at its version', () => {
    const components = installed.map((p) => componentOf(npmPurl(p.name, p.version)));
    expect(
      components.every(
        (c, i) => c?.name === installed[i]?.name && c?.version === installed[i]?.version,
      ),
    ).toBe(true);
    const scoped = installed.find((p) => p.name.startsWith('@'));
    if (!scoped) throw new Error('the lock file has no scoped package');
    const advisory = (fixed: string): OsvAdvisory => ({
      id: 'GHSA-test',
      affected: [
        {
          package: { ecosystem: 'npm', name: scoped.name },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }],
        },
      ],
    });
    const component = componentOf(npmPurl(scoped.name, scoped.version));
    if (!component) throw new Error(`no component for ${scoped.name}`);
    expect(
      matchOsv([component], [advisory(`${scoped.version.split('.')[0] ?? '0'}.999.0`)]),
    ).toHaveLength(1);
    expect(matchOsv([component], [advisory(scoped.version)])).toEqual([]);
  });
});
