import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { CdxBom } from './sbom';
import { bulkRequest, scan } from './vuln-report';

const bom = {
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  serialNumber: 'urn:uuid:0',
  version: 1,
  metadata: { timestamp: '', component: { type: 'application', name: 'x', version: '1' } },
  components: [
    { type: 'library', 'bom-ref': 'a', name: 'pg', version: '8.0.0', purl: 'pkg:npm/pg@8.0.0' },
    { type: 'library', 'bom-ref': 'b', name: 'ms', version: '2.0.0', purl: 'pkg:npm/ms@2.0.0' },
    { type: 'library', 'bom-ref': 'c', name: 'ms', version: '2.1.3', purl: 'pkg:npm/ms@2.1.3' },
  ],
} as CdxBom;

describe('vuln-report', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let reply: { status: number; body: string };
  let received: unknown;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trellis-vuln-'));
    writeFileSync(join(dir, 'x.sbom.cdx.json'), JSON.stringify(bom));
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

  it('asks for every package with all its versions', () => {
    expect(bulkRequest(bom)).toEqual({ pg: ['8.0.0'], ms: ['2.0.0', '2.1.3'] });
  });

  it('reports advisories by severity', async () => {
    reply = {
      status: 200,
      body: JSON.stringify({
        ms: [{ id: 1, title: 'ReDoS', severity: 'high', url: 'u', vulnerable_versions: '<2.0.1' }],
      }),
    };
    const report = await scan(join(dir, 'x.sbom.cdx.json'), url);
    expect(received).toEqual({ pg: ['8.0.0'], ms: ['2.0.0', '2.1.3'] });
    expect(report.status).toBe('scanned');
    expect(report.counts).toEqual({ high: 1 });
  });

  it('says why nothing was scanned when the registry refuses', async () => {
    reply = { status: 405, body: '' };
    const report = await scan(join(dir, 'x.sbom.cdx.json'), url);
    expect(report.status).toBe('unavailable');
    expect(report.detail).toMatch(/^405 /);
  });
});
