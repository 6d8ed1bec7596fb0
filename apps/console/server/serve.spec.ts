import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startConsoleServer } from './serve';

describe('console server: static app with a strict CSP, gateway on the same origin', () => {
  let dir: string;
  let gateway: Server;
  let seen: { url?: string; headers?: IncomingHttpHeaders } = {};
  let web: Awaited<ReturnType<typeof startConsoleServer>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-dist-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(
      join(dir, 'index.html'),
      '<meta name="csp-nonce" content="__CSP_NONCE__"><div id="root"></div>',
    );
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(tmpdir(), 'secret.txt'), 'not yours');
    gateway = createServer((req, res) => {
      seen = { url: req.url, headers: req.headers };
      res.writeHead(200, { 'content-type': 'application/fhir+json' });
      res.end('{"resourceType":"CapabilityStatement"}');
    });
    await new Promise<void>((ok) => gateway.listen(0, '127.0.0.1', ok));
    const port = (gateway.address() as { port: number }).port;
    web = await startConsoleServer({
      distDir: dir,
      gatewayUrl: `http://127.0.0.1:${port}`,
      issuer: 'http://127.0.0.1:8089',
      clientId: 'trellis-citizen',
    });
  });

  afterAll(async () => {
    await web.close();
    await new Promise((ok) => gateway.close(ok));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every app route with the page and a fresh style nonce the CSP names', async () => {
    const [a, b] = await Promise.all([fetch(`${web.url}/systems`), fetch(`${web.url}/citizen`)]);
    const csp = a.headers.get('content-security-policy') ?? '';
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(await a.text()).toContain(`content="${nonce}"`);
    expect(b.headers.get('content-security-policy')).not.toBe(csp);
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "connect-src 'self' http://127.0.0.1:8089",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe');
    expect(a.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves built assets only from assets/, never a path outside the build', async () => {
    const js = await fetch(`${web.url}/assets/app.js`);
    expect([js.status, js.headers.get('content-type')]).toEqual([
      200,
      'text/javascript; charset=utf-8',
    ]);
    const out = await fetch(`${web.url}/assets/..%2f..%2fsecret.txt`);
    expect(await out.text()).not.toContain('not yours');
    expect((await fetch(`${web.url}/%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`${web.url}/`)).status).toBe(200);
  });

  it('gives the browser its provider and client, and refuses writes to itself', async () => {
    const cfg = await fetch(`${web.url}/console-config.json`);
    expect(await cfg.json()).toEqual({
      issuer: 'http://127.0.0.1:8089',
      clientId: 'trellis-citizen',
    });
    expect((await fetch(`${web.url}/systems`, { method: 'POST' })).status).toBe(405);
  });

  it('passes the public APIs to the gateway with the bearer token, without cookies', async () => {
    const res = await fetch(`${web.url}/fhir/metadata?_format=json`, {
      headers: { authorization: 'Bearer t', cookie: 'a=b' },
    });
    expect(res.status).toBe(200);
    expect(seen.url).toBe('/fhir/metadata?_format=json');
    expect(seen.headers?.authorization).toBe('Bearer t');
    expect(seen.headers?.cookie).toBeUndefined();
  });
});
