import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { componentOf } from './vuln-match';
import { scan, type ScanOptions } from './vuln-report';
import { bulkRequest, parseMadison } from './vuln-sources';

const library = (purl: string) => ({
  type: 'library',
  'bom-ref': purl,
  name: '',
  version: '',
  purl,
});
const appBom = {
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  components: [
    'pkg:npm/pg@8.0.0',
    'pkg:npm/ms@2.0.0',
    'pkg:npm/ms@2.1.3',
    'pkg:npm/protobufjs@7.2.0',
  ].map(library),
};
const rootBom = {
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  components: [
    'pkg:generic/nodejs/node@24.10.0',
    'pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12.12',
  ].map(library),
};

const bookworm: ScanOptions['apt'] = () => ({
  osRelease: 'ID=debian\nVERSION_ID="12"\n',
  releases: () => [
    'Suite: bookworm-security\nDate: Mon, 07 Dec 2026 10:00:00 UTC\n',
    'Suite: stable\nDate: Sat, 14 Nov 2026 09:00:00 UTC\n',
  ],
  madison: () =>
    ' libc6 | 2.36-9+deb12u14 | http://mirror.test/debian bookworm/main amd64 Packages\n' +
    ' libc6 | 2.36-9+deb12u15 | http://mirror.test/debian-security bookworm-security/main amd64 Packages\n',
});

describe('vuln-report', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let reply: { status: number; body: string };
  let received: unknown;
  const sboms = (): string[] => [
    join(dir, 'x.sbom.cdx.json'),
    join(dir, 'x.runtime-root.sbom.cdx.json'),
  ];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trellis-vuln-'));
    writeFileSync(join(dir, 'x.sbom.cdx.json'), JSON.stringify(appBom));
    writeFileSync(join(dir, 'x.runtime-root.sbom.cdx.json'), JSON.stringify(rootBom));
    const data = join(dir, 'data');
    mkdirSync(join(data, 'osv', 'nested'), { recursive: true });
    writeFileSync(
      join(data, 'osv', 'nested', 'GHSA-1.json'),
      JSON.stringify({
        id: 'GHSA-1',
        modified: '2026-11-30T12:00:00Z',
        database_specific: { severity: 'MODERATE' },
        affected: [
          {
            package: { ecosystem: 'npm', name: 'ms' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.1' }] }],
          },
        ],
      }),
    );
    writeFileSync(
      join(data, 'osv', 'PYSEC-1.json'),
      JSON.stringify({ id: 'PYSEC-1', affected: [{ package: { ecosystem: 'PyPI', name: 'ms' } }] }),
    );
    writeFileSync(
      join(data, 'node-core.json'),
      JSON.stringify({
        '1': {
          cve: ['CVE-2026-21717'],
          vulnerable: '24.x',
          patched: '^24.14.1',
          severity: 'medium',
        },
      }),
    );
    writeFileSync(
      join(data, 'retire.json'),
      JSON.stringify({
        protobufjs: {
          npmname: 'protobufjs',
          vulnerabilities: [
            {
              atOrAbove: '7.0.0',
              below: '7.2.5',
              severity: 'critical',
              identifiers: { githubID: 'GHSA-h755-8qp9-cq85', CVE: ['CVE-2023-36665'] },
            },
          ],
        },
        jquery: { vulnerabilities: [{ below: '3.5.0', severity: 'medium' }] },
      }),
    );
    writeFileSync(
      join(data, 'sources.json'),
      JSON.stringify({
        'node-core': {
          origin: 'nodejs/security-wg vuln/core/index.json',
          commit: 'f1288d0d6723',
          date: '2026-04-08',
        },
        retire: { origin: 'RetireJS/retire.js repository/jsrepository.json', date: '2026-08-20' },
      }),
    );
    writeFileSync(
      join(data, 'node-changelog.md'),
      "## 2026-11-11, Version 24.22.3 'Krypton' (LTS), @x\nThis is a security release.\n* (CVE-2026-9) tls: fix (A) – High\n",
    );
    mkdirSync(join(dir, 'retire-only'));
    writeFileSync(join(dir, 'retire-only', 'retire.json'), JSON.stringify({ protobufjs: {} }));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received = JSON.parse(body);
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks the registry for every npm package with all its versions', () => {
    const components = appBom.components.flatMap((c) => componentOf(c.purl) ?? []);
    expect(bulkRequest(components)).toEqual({
      pg: ['8.0.0'],
      ms: ['2.0.0', '2.1.3'],
      protobufjs: ['7.2.0'],
    });
  });

  it('scans every kind of component from the sources that have data, with their dates', async () => {
    reply = { status: 405, body: '' };
    const report = await scan(sboms(), {
      dataDir: join(dir, 'data'),
      registryUrl: url,
      apt: bookworm,
    });
    expect(received).toEqual({ pg: ['8.0.0'], ms: ['2.0.0', '2.1.3'], protobufjs: ['7.2.0'] });
    expect(report.components).toEqual({ npm: 4, node: 1, deb: 1 });
    expect(report.status).toBe('scanned');
    expect(report.sources.map((s) => [s.name, s.status, s.dataDate])).toEqual([
      ['npm-bulk', 'unavailable', undefined],
      ['osv', 'scanned', '2026-11-30'],
      ['retire', 'scanned', '2026-08-20'],
      ['nodejs-releases', 'scanned', '2026-11-11'],
      ['nodejs-core', 'scanned', '2026-04-08'],
      ['debian-archive', 'scanned', '2026-12-07'],
    ]);
    expect(report.sources[0]?.detail).toMatch(/^405 /);
    expect(report.sources[1]?.detail).toBe('1 npm advisories, newest modified 2026-11-30');
    expect(report.findings.map((f) => [f.source, f.purl, f.id])).toEqual([
      ['osv', 'pkg:npm/ms@2.0.0', 'GHSA-1'],
      ['retire', 'pkg:npm/protobufjs@7.2.0', 'GHSA-h755-8qp9-cq85'],
      ['nodejs-releases', 'pkg:generic/nodejs/node@24.10.0', 'CVE-2026-9'],
      ['nodejs-core', 'pkg:generic/nodejs/node@24.10.0', 'CVE-2026-21717'],
      [
        'debian-archive',
        'pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12.12',
        'libc6@2.36-9+deb12u15',
      ],
    ]);
    expect(report.sources[2]?.detail).toBe(
      "2 libraries tracked, 1 of the SBOM's packages among them",
    );
    expect(report.counts).toEqual({
      moderate: 1,
      critical: 1,
      high: 1,
      medium: 1,
      'security-update': 1,
    });
  });

  it('says which kinds went unscanned and why when no source has data', async () => {
    reply = { status: 405, body: '' };
    const debian11: ScanOptions['apt'] = () => ({
      ...bookworm(),
      osRelease: 'ID=debian\nVERSION_ID="11"\n',
    });
    const report = await scan(sboms(), {
      dataDir: join(dir, 'absent'),
      registryUrl: url,
      apt: debian11,
    });
    expect(report.status).toBe('unavailable');
    expect(report.sources.map((s) => [s.name, s.status, s.detail])).toEqual([
      ['npm-bulk', 'unavailable', expect.stringMatching(/^405 /)],
      ['osv', 'unavailable', `no data at ${join(dir, 'absent', 'osv')}`],
      ['retire', 'unavailable', `no data at ${join(dir, 'absent', 'retire.json')}`],
      ['nodejs-releases', 'unavailable', `no data at ${join(dir, 'absent', 'node-changelog.md')}`],
      ['nodejs-core', 'unavailable', `no data at ${join(dir, 'absent', 'node-core.json')}`],
      ['debian-archive', 'unavailable', "host is debian 11, the SBOM's packages are debian 12"],
    ]);
    expect(report.findings).toEqual([]);
  });

  it('does not call npm scanned on a list that speaks only for the packages it tracks', async () => {
    reply = { status: 405, body: '' };
    const report = await scan([join(dir, 'x.sbom.cdx.json')], {
      dataDir: join(dir, 'retire-only'),
      registryUrl: url,
    });
    expect(report.sources.map((s) => [s.name, s.status, s.coverage])).toEqual([
      ['npm-bulk', 'unavailable', 'all'],
      ['osv', 'unavailable', 'all'],
      ['retire', 'scanned', 'some'],
    ]);
    expect(report.status).toBe('partial');
  });

  it('takes the registry bulk answer as a source of its own', async () => {
    reply = {
      status: 200,
      body: JSON.stringify({
        ms: [{ id: 1, title: 'ReDoS', severity: 'high', url: 'u', vulnerable_versions: '<2.0.1' }],
      }),
    };
    const report = await scan([join(dir, 'x.sbom.cdx.json')], {
      dataDir: join(dir, 'absent'),
      registryUrl: url,
    });
    expect(report.status).toBe('scanned');
    expect(report.counts).toEqual({ high: 1 });
    expect(report.findings.map((f) => f.purl)).toEqual(['pkg:npm/ms@2.0.0']);
  });

  it('reads apt-cache madison lines', () => {
    const out = ' libc6 | 2.36-9+deb12u14 | http://m.test/debian bookworm/main amd64 Packages\n';
    expect(parseMadison(out).get('libc6')).toEqual([
      { version: '2.36-9+deb12u14', suite: 'bookworm' },
    ]);
  });
});
