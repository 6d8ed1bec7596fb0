import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

import { FHIR_PREFIX } from './fhir.registry';

/** What this file uses of Express 5's application and router (express + router 2.x). */
interface RouterLayer {
  route?: { path: string; _handlesMethod(method: string): boolean };
  handle: (...args: never[]) => unknown;
  match(path: string): { params: Record<string, string>; path: string } | false;
  handleRequest(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
}
interface ExpressApp {
  (req: IncomingMessage, res: ServerResponse): void;
  router: { stack: RouterLayer[]; params: Record<string, unknown>; mergeParams?: boolean };
  request: object;
  response: object;
  enabled(setting: string): boolean;
  get(setting: string): unknown;
}

/** Express's own final handler (what `app.handle` answers with when no layer does). */
type FinalHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  options: { env: string; onerror: (err: unknown) => void },
) => (err?: unknown) => void;
const finalhandler = createRequire(require.resolve('express'))('finalhandler') as FinalHandler;

/** The one request shape taken: a read by NHS number, no query string. */
const READ = new RegExp(`^/${FHIR_PREFIX}/Patient/[0-9]{10}$`);
const PROBE = `/${FHIR_PREFIX}/Patient/9000000009`;
const ROUTE = `/${FHIR_PREFIX}/Patient/:id`;

/**
 * The hottest FHIR request, `GET /fhir/Patient/{NHS number}` (issue 23), dispatched straight to the
 * layers Express would run for it — the `/fhir` middleware, then the route, whose handler is Nest's
 * (guards, interceptors, audit, exception filter: unchanged) — instead of Express's router scanning
 * its whole stack for every request. Exactly what `app.handle` and the router do for it otherwise:
 * Express's request/response prototypes (so `res.send` keeps its ETag, freshness and HEAD
 * behaviour), `X-Powered-By` when enabled, `req.params`/`req.route`/`req.baseUrl`, the middleware
 * with its mount path trimmed (the router's tracing-only `matchedRoute` symbol is not set: no
 * diagnostics-channel subscriber runs here). Any other request goes to Express untouched. Installed only when the
 * router holds what this assumes (checked at bootstrap against a probe path); otherwise not at all.
 */
@Injectable()
export class FastPatientRead implements OnApplicationBootstrap {
  private readonly logger = new Logger('FastPatientRead');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onApplicationBootstrap(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'express') return;
    const app = adapter.getInstance<ExpressApp>();
    const server = adapter.getHttpServer() as Server | undefined;
    const layers = layersFor(app);
    if (!server) return; // no HTTP server (e.g. a test module never listening)
    const listeners = server.listeners('request');
    if (!layers || listeners.length !== 1 || listeners[0] !== app) {
      this.logger.warn('router not as expected: Patient reads go through Express');
      return;
    }
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.method === 'GET' && READ.test(req.url ?? '')) dispatch(app, layers, req, res);
      else app(req, res);
    });
  }
}

/** The middleware layers matching a read (in order) and its route layer; undefined if unusual. */
function layersFor(app: ExpressApp): { before: RouterLayer[]; route: RouterLayer } | undefined {
  const router = app.router;
  if (!router || !Array.isArray(router.stack) || typeof app.request !== 'object') return undefined;
  if (router.mergeParams || Object.keys(router.params).length > 0) return undefined;
  const before: RouterLayer[] = [];
  const usable = (l: RouterLayer) =>
    typeof l.match === 'function' && typeof l.handleRequest === 'function';
  for (const layer of router.stack) {
    if (!usable(layer)) return undefined;
    if (!layer.match(PROBE)) continue;
    if (!layer.route) {
      before.push(layer);
      continue;
    }
    if (!layer.route._handlesMethod('GET')) continue;
    return layer.route.path === ROUTE ? { before, route: layer } : undefined;
  }
  return undefined;
}

function dispatch(
  app: ExpressApp,
  layers: { before: RouterLayer[]; route: RouterLayer },
  req: IncomingMessage,
  res: ServerResponse,
): void {
  // app.handle
  const done = (err?: unknown) =>
    finalhandler(req, res, { env: app.get('env') as string, onerror: logError })(err);
  if (app.enabled('x-powered-by')) res.setHeader('X-Powered-By', 'Express');
  const q = req as IncomingMessage & Record<string, unknown>;
  const s = res as unknown as Record<string, unknown>;
  q['res'] = res;
  s['req'] = req;
  Object.setPrototypeOf(req, app.request);
  Object.setPrototypeOf(res, app.response);
  if (!s['locals']) s['locals'] = Object.create(null) as object;
  // the router
  const url = req.url!;
  q['baseUrl'] = '';
  q['originalUrl'] = (q['originalUrl'] as string | undefined) || url;
  let i = 0;
  const next = (err?: unknown): void => {
    q['url'] = url;
    q['baseUrl'] = '';
    if (err !== undefined && err !== null) return done(err);
    const layer = layers.before[i++];
    if (layer) {
      const match = layer.match(url);
      if (!match) return next();
      // a mounted middleware sees the path below its mount point (the router's trimPrefix)
      q['params'] = match.params;
      if (match.path.length > 0) {
        const rest = url.slice(match.path.length);
        q['url'] = rest.startsWith('/') ? rest : `/${rest}`;
        q['baseUrl'] = match.path.endsWith('/') ? match.path.slice(0, -1) : match.path;
      }
      layer.handleRequest(req, res, next);
      return;
    }
    const match = layers.route.match(url);
    if (!match) return done();
    q['params'] = match.params;
    layers.route.handleRequest(req, res, done);
  };
  next();
}

function logError(err: unknown): void {
  new Logger('FastPatientRead').error(err instanceof Error ? (err.stack ?? err.message) : err);
}
