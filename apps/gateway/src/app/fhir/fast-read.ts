import { tracingChannel } from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef, type NestContainer } from '@nestjs/core';

import { directRoute, type DirectHandler } from './direct-route';
import { FHIR_PREFIX } from './fhir.registry';
import { PatientFhirController } from './patient.controller';

/** What this file uses of Express 5's application and router (express + router 2.x). */
interface RouterRoute {
  path: string;
  methods: Record<string, boolean | undefined>;
  stack: { method?: string; handle: object }[];
  _handlesMethod(method: string): boolean;
}
interface RouterLayer {
  route?: RouterRoute;
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

/** The requests taken (GET, or HEAD as Express makes it a GET), by pathname and query string. */
interface FastRoute {
  what: string;
  /** The pathname taken. */
  pathname: RegExp;
  /** Taken only with a query string (the search) or only without one (the read). */
  withQuery: boolean;
  /** A pathname the router must send to exactly this route (checked at bootstrap). */
  probe: string;
  /** The route's path as Nest registered it. */
  routePath: string;
  methodName: 'read' | 'search';
}
const FAST_ROUTES: readonly FastRoute[] = [
  {
    what: 'read by NHS number',
    pathname: new RegExp(`^/${FHIR_PREFIX}/Patient/[0-9]{10}$`),
    withQuery: false,
    probe: `/${FHIR_PREFIX}/Patient/9000000009`,
    routePath: `/${FHIR_PREFIX}/Patient/:id`,
    methodName: 'read',
  },
  {
    what: 'search',
    pathname: new RegExp(`^/${FHIR_PREFIX}/Patient$`),
    withQuery: true,
    probe: `/${FHIR_PREFIX}/Patient`,
    routePath: `/${FHIR_PREFIX}/Patient`,
    methodName: 'search',
  },
];

/** The router's tracing channel: while anyone traces it, the route layer runs as Express runs it. */
const routerTracing = tracingChannel('express.router.request');

/** What a request is dispatched to: the middleware layers in front, the route, and its handler. */
interface RouteLayers {
  before: RouterLayer[];
  route: RouterLayer & { route: RouterRoute };
  /** The route's handler without Nest's router execution context (direct-route.ts). */
  direct: DirectHandler;
}

/**
 * The hottest FHIR requests (issue 23) — `GET /fhir/Patient/{NHS number}` and the Patient search
 * (`GET /fhir/Patient?identifier=…`) — dispatched straight to what Express and Nest would run for
 * them, without Express's router scanning its whole stack and without Nest's router execution
 * context: the `/fhir` middleware layers (Express's own), then `PatientFhirController.read` or
 * `.search` with its guards, interceptors (the search's query check among them) and exception
 * filters **as Nest resolved them** (direct-route.ts: the global lists, the class's and the
 * method's, by Nest's own context creators). Exactly what `app.handle` and the router do
 * otherwise: Express's request/response prototypes (so `res.send` keeps its ETag, freshness, HEAD,
 * charset and Content-Length behaviour, and `req.query` is Express's own parse),
 * `X-Powered-By` when enabled, `req.params`/`req.route`/`req.baseUrl`, the middleware with its
 * mount path trimmed (the query string kept; the router's tracing-only `matchedRoute` symbol is not
 * set; while a router tracing subscriber exists the route layer runs through Express). A HEAD is a
 * GET to the route, as Express's route dispatch makes it. Any other request goes to Express
 * untouched. Each route is installed only when the router and the route's metadata hold what this
 * assumes (checked at bootstrap against a probe path); otherwise it goes through Express.
 */
@Injectable()
export class FastPatientRoutes implements OnApplicationBootstrap {
  private readonly logger = new Logger('FastPatientRoutes');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly moduleRef: ModuleRef,
  ) {}

  onApplicationBootstrap(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'express') return;
    const app = adapter.getInstance<ExpressApp>();
    const server = adapter.getHttpServer() as Server | undefined;
    if (!server) return; // no HTTP server (e.g. a test module never listening)
    const listeners = server.listeners('request');
    if (listeners.length !== 1 || listeners[0] !== app) {
      this.logger.warn('server not as expected: Patient reads and searches go through Express');
      return;
    }
    // the container Nest routed with (ModuleRef holds it; not part of its typed surface)
    const container = (this.moduleRef as unknown as { container: NestContainer }).container;
    const installed: { fast: FastRoute; layers: RouteLayers }[] = [];
    for (const fast of FAST_ROUTES) {
      const layers = layersFor(app, fast);
      const direct = layers
        ? directRoute(container, adapter, PatientFhirController, fast.methodName)
        : { refused: 'router not as expected' };
      if ('refused' in direct) {
        this.logger.warn(`Patient ${fast.what} goes through Express: ${direct.refused}`);
        continue;
      }
      installed.push({ fast, layers: { ...layers!, direct: direct.handler } });
    }
    if (installed.length === 0) return;
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const method = req.method;
      if (method === 'GET' || method === 'HEAD') {
        const url = req.url ?? '';
        const q = url.indexOf('?');
        const pathname = q < 0 ? url : url.slice(0, q);
        for (const { fast, layers } of installed) {
          if (fast.withQuery === q >= 0 && fast.pathname.test(pathname))
            return dispatch(app, layers, req, res, pathname);
        }
      }
      app(req, res);
    });
  }
}

/** The middleware layers matching a route (in order) and its route layer; undefined if unusual. */
function layersFor(app: ExpressApp, fast: FastRoute): Omit<RouteLayers, 'direct'> | undefined {
  const router = app.router;
  if (!router || !Array.isArray(router.stack) || typeof app.request !== 'object') return undefined;
  if (router.mergeParams || Object.keys(router.params).length > 0) return undefined;
  const before: RouterLayer[] = [];
  const usable = (l: RouterLayer) =>
    typeof l.match === 'function' && typeof l.handleRequest === 'function';
  for (const layer of router.stack) {
    if (!usable(layer)) return undefined;
    if (!layer.match(fast.probe)) continue;
    if (!layer.route) {
      before.push(layer);
      continue;
    }
    if (!layer.route._handlesMethod('GET')) continue;
    const route = layer as RouterLayer & { route: RouterRoute };
    return isNestRouteOf(route.route, fast) ? { before, route } : undefined;
  }
  return undefined;
}

/**
 * The route is Nest's for the controller method alone: one GET handler (HEAD goes to it), carrying
 * the method's metadata (Nest copies it onto the handler it registers).
 */
function isNestRouteOf(route: RouterRoute, fast: FastRoute): boolean {
  if (route.path !== fast.routePath || route.methods['head'] || route.stack.length !== 1)
    return false;
  const only = route.stack[0]!;
  if (only.method !== 'get') return false;
  const method = PatientFhirController.prototype[fast.methodName];
  const keys = Reflect.getMetadataKeys(method) as unknown[];
  return (
    keys.length > 0 &&
    keys.every((k) => Reflect.getMetadata(k, only.handle) === Reflect.getMetadata(k, method))
  );
}

function dispatch(
  app: ExpressApp,
  layers: RouteLayers,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
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
      const match = layer.match(pathname);
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
    const match = layers.route.match(pathname);
    if (!match) return done();
    q['params'] = match.params;
    if (routerTracing.hasSubscribers) {
      layers.route.handleRequest(req, res, done);
      return;
    }
    // the route's dispatch (Route.dispatch): req.route, then its one GET handler
    q['route'] = layers.route.route;
    layers.direct(req, res, done);
  };
  next();
}

function logError(err: unknown): void {
  new Logger('FastPatientRoutes').error(err instanceof Error ? (err.stack ?? err.message) : err);
}
