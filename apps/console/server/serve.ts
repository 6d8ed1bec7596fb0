// The console's static server: the built single-page app with a strict Content-Security-Policy
// (a fresh style nonce per page, no inline script, API calls to this origin only, the identity
// provider the only other origin it talks to), and the gateway's public APIs proxied on the same
// origin (/fhir, /oauth2, /admin, /.well-known) — the same paths an ingress routes in a cluster.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { extname, join, normalize, resolve, sep } from 'node:path';

export interface ConsoleServerOptions {
  /** The built app (vite build output). */
  distDir: string;
  /** The gateway's base URL, e.g. http://127.0.0.1:8080. */
  gatewayUrl: string;
  /** The OpenID provider's issuer the browser signs in at. */
  issuer: string;
  clientId: string;
  host?: string;
  port?: number;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const PROXIED = ['/fhir', '/oauth2/', '/admin/', '/.well-known/'];

export function contentSecurityPolicy(nonce: string, issuer: string): string {
  const idp = new URL(issuer).origin;
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${idp}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

function proxy(gatewayUrl: string, req: IncomingMessage, res: import('node:http').ServerResponse) {
  const target = new URL(req.url ?? '/', gatewayUrl);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = { ...req.headers, host: target.host };
  delete headers['cookie'];
  const upstream = send(target, { method: req.method, headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end('{"error":"gateway unreachable"}');
  });
  req.pipe(upstream);
}

export async function startConsoleServer(
  options: ConsoleServerOptions,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const dist = resolve(options.distDir);
  const indexFile = join(dist, 'index.html');
  if (!existsSync(indexFile))
    throw new Error(`console not built: ${indexFile} missing (npx nx run console:build)`);
  const index = readFileSync(indexFile, 'utf8');
  const config = JSON.stringify({ issuer: options.issuer, clientId: options.clientId });
  const server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' });
      return res.end('malformed path');
    }
    if (PROXIED.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p)))
      return proxy(options.gatewayUrl, req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      return res.end();
    }
    if (path === '/health/live' || path === '/health/ready') {
      res.writeHead(200, { 'content-type': TYPES['.json'] });
      return res.end('{"status":"ok"}');
    }
    if (path === '/console-config.json') {
      res.writeHead(200, {
        'content-type': TYPES['.json'],
        'cache-control': 'no-store',
        ...SECURITY_HEADERS,
      });
      return res.end(config);
    }
    const file = normalize(join(dist, path));
    if (
      file.startsWith(dist + sep) &&
      path.startsWith('/assets/') &&
      existsSync(file) &&
      statSync(file).isFile()
    ) {
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'public, max-age=31536000, immutable',
        ...SECURITY_HEADERS,
      });
      return res.end(readFileSync(file));
    }
    // every other path is the single-page app (client-side routes), with a fresh nonce
    const nonce = randomBytes(16).toString('base64');
    res.writeHead(200, {
      'content-type': TYPES['.html'],
      'cache-control': 'no-store',
      'content-security-policy': contentSecurityPolicy(nonce, options.issuer),
      ...SECURITY_HEADERS,
    });
    res.end(index.replace('__CSP_NONCE__', nonce));
  });
  await new Promise<void>((ok) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', ok),
  );
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
