/**
 * Bench-only probes of the gateway running in the bench process (issue 23; docs/performance.md,
 * "Read path: what Express and Nest's router cost"). Never part of the product.
 *
 * - `BENCH_FAST_READ_PROTO=lean|interceptors`: a PROTOTYPE raw node:http handler in front of
 *   Express for exactly `GET /fhir/Patient/{10 digits}` (no query). `interceptors` runs the same
 *   guard, the same global interceptors (Nest's order) and the route's metrics interceptor over
 *   rxjs, then the same controller method and exception filter — it leaves out Express's router
 *   and middleware and Nest's router execution context. `lean` runs the same guard, sandbox
 *   lookup, rate budget, handler, metrics and audit record inline, without rxjs. Neither is
 *   complete (see the docs: conditional GET, HEAD, sandbox sessions and refusals in `lean`,
 *   Express's response helpers); they measure what a lean read path would save.
 * - `BENCH_AUDIT_DELAY_MS=N`: every access-audit record() of the gateway waits N ms first — shows
 *   whether a response waits for its audit record.
 * - `BENCH_FAST_ROUTES_TOGGLE_MS=N`: every N ms the server's requests go, in turn, to the product's
 *   listener (fast-read.ts: the Patient read and search without Express's router and Nest's route
 *   context) and to Express alone (every request routed by Express and Nest); the gateway
 *   process's CPU (process.cpuUsage) and the answers finished are counted per phase, so both paths
 *   are measured interleaved under the same load (an A/B within one run; phases with fewer than
 *   100 answers left out). Printed at exit.
 * - `BENCH_PLATFORM_DIRECT_TOGGLE_MS=N`: the same interleaving for the gateway's platform calls:
 *   every N ms they go, in turn, on grpc-js directly (the product, service-kit's direct-unary.ts) and
 *   through nice-grpc and the forwarding middleware (the platform clients' direct switch off).
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';

import type { CallHandler, INestApplication, NestInterceptor } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { TrellisAuthGuard, auditShapeOf, callContextOf, type AccessAuditor } from '@trellis/auth';
import { correlationIdFrom, runWithRequestContext } from '@trellis/service-kit';
import { startRequestTimer } from '@trellis/telemetry';
import { from, lastValueFrom, type Observable } from 'rxjs';

import { GATEWAY_AUDITOR } from '@trellis/gateway/src/app/audit/gateway-events.module';
import { CertificationService } from '@trellis/gateway/src/app/certification/certification.service';
import { FhirExceptionFilter } from '@trellis/gateway/src/app/fhir/fhir.http';
import { fhirMetricsInterceptor } from '@trellis/gateway/src/app/fhir/fhir.metrics';
import { PLATFORM_CLIENTS } from '@trellis/gateway/src/app/fhir/fhir.tokens';
import { PatientFhirController } from '@trellis/gateway/src/app/fhir/patient.controller';
import type { PlatformClients } from '@trellis/gateway/src/app/fhir/platform-clients';
import { SystemRateBudget } from '@trellis/gateway/src/app/rate-limit/system-rate-budget';

const ROUTE = '/fhir/Patient/:id';
const PATH = /^\/fhir\/Patient\/(\d{10})$/;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Installs the probes the environment asks for; answers their description for the log. */
export function installProbes(app: INestApplication, log: (s: string) => void): string {
  const proto = process.env['BENCH_FAST_READ_PROTO'];
  const notes: string[] = [];
  if (proto === 'lean' || proto === 'interceptors') {
    const served = installFastReadPrototype(app, proto);
    process.once('exit', () => log(`prototype read path served ${served()}`));
    notes.push(`PROTOTYPE read path: ${proto}`);
  }
  const auditDelay = Number(process.env['BENCH_AUDIT_DELAY_MS'] ?? 0);
  if (auditDelay > 0) {
    delayAudit(app, auditDelay);
    notes.push(`audit delayed ${auditDelay} ms`);
  }
  const toggleMs = Number(process.env['BENCH_FAST_ROUTES_TOGGLE_MS'] ?? 0);
  if (toggleMs > 0) {
    const report = toggleFastRoutes(app, toggleMs);
    process.once('exit', () => log(`fast routes / Express alone, interleaved: ${report()}`));
    notes.push(`fast routes and Express alone every ${toggleMs} ms`);
  }
  const directMs = Number(process.env['BENCH_PLATFORM_DIRECT_TOGGLE_MS'] ?? 0);
  if (directMs > 0) {
    const report = togglePlatformDirect(app, directMs);
    process.once('exit', () => log(`platform calls direct / nice-grpc, interleaved: ${report()}`));
    notes.push(`platform calls direct and through nice-grpc every ${directMs} ms`);
  }
  return notes.map((n) => ` (${n})`).join('');
}

/**
 * Alternates the product's listener and Express alone; answers CPU per answer of each. A phase
 * counts only when it finished at least `busy` answers (boot, warm-up gaps and the tail are left
 * out); an answer counts for the phase it finished in (in-flight answers cross a switch both ways).
 */
function toggleFastRoutes(app: INestApplication, everyMs: number): () => string {
  const server = app.getHttpServer() as Server;
  const express = app.getHttpAdapter().getInstance() as RequestListener;
  const product = server.listeners('request') as RequestListener[];
  let mode: 'fast' | 'express' = 'fast';
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (mode === 'express') express(req, res);
    else for (const l of product) l(req, res);
  });
  return interleave(app, everyMs, ['fast', 'express'], (m) => (mode = m));
}

/** Alternates the platform clients' direct grpc-js calls and nice-grpc (their direct switch off). */
function togglePlatformDirect(app: INestApplication, everyMs: number): () => string {
  const clients = app.get<PlatformClients>(PLATFORM_CLIENTS, { strict: false });
  const held = clients as unknown as { direct: boolean };
  return interleave(app, everyMs, ['direct', 'nice-grpc'], (m) => {
    held.direct = m === 'direct';
  });
}

/**
 * Switches between two modes every `everyMs` and answers the gateway process's CPU per answer in
 * each. A phase counts only when it finished at least `busy` answers (boot, warm-up gaps and the
 * tail are left out); an answer counts for the phase it finished in.
 */
function interleave<M extends string>(
  app: INestApplication,
  everyMs: number,
  modes: readonly [M, M],
  switchTo: (mode: M) => void,
  busy = 100,
): () => string {
  const server = app.getHttpServer() as Server;
  const totals = new Map(modes.map((m) => [m, { cpuUs: 0, answers: 0, phases: 0 }]));
  let mode = modes[0];
  switchTo(mode);
  let answers = 0;
  let since = process.cpuUsage();
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    res.once('finish', () => answers++);
  });
  const timer = setInterval(() => {
    const used = process.cpuUsage(since);
    since = process.cpuUsage();
    const t = totals.get(mode)!;
    if (answers >= busy) {
      t.cpuUs += used.user + used.system;
      t.answers += answers;
      t.phases++;
    }
    answers = 0;
    mode = mode === modes[0] ? modes[1] : modes[0];
    switchTo(mode);
  }, everyMs);
  timer.unref();
  return () =>
    modes
      .map((m) => {
        const p = totals.get(m)!;
        const per = p.answers > 0 ? Math.round(p.cpuUs / p.answers) : 0;
        return `${m}: ${p.answers} answers in ${p.phases} busy phases, ${per} us CPU per answer`;
      })
      .join('; ');
}

/** Delays every access-audit record() of the gateway by `ms`. */
export function delayAudit(app: INestApplication, ms: number): void {
  const auditor = app.get<AccessAuditor>(GATEWAY_AUDITOR, { strict: false });
  const record = auditor.record.bind(auditor);
  auditor.record = async (...args: Parameters<AccessAuditor['record']>) => {
    await new Promise((r) => setTimeout(r, ms));
    return record(...args);
  };
}

/** Installs the prototype read path; answers how many requests it served so far. */
export function installFastReadPrototype(
  app: INestApplication,
  mode: 'lean' | 'interceptors',
): () => number {
  const server = app.getHttpServer() as Server;
  const guard = app.get(TrellisAuthGuard, { strict: false });
  const budget = app.get(SystemRateBudget, { strict: false });
  const certification = app.get(CertificationService, { strict: false });
  const auditor = app.get<AccessAuditor>(GATEWAY_AUDITOR, { strict: false });
  const controller = app.get(PatientFhirController, { strict: false });
  const filter = new FhirExceptionFilter();
  // the global interceptors in the order Nest applies them, then the route's own
  const globals = (
    app as unknown as { config: { getGlobalInterceptors(): NestInterceptor[] } }
  ).config.getGlobalInterceptors();
  const chain: NestInterceptor[] = [
    ...globals,
    new (fhirMetricsInterceptor({ resource: 'Patient', interaction: 'read' }))(),
  ];
  const express = server.listeners('request')[0] as Handler;
  server.removeAllListeners('request');
  let served = 0;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const m = req.method === 'GET' ? PATH.exec(req.url ?? '') : null;
    if (!m) return express(req, res);
    served++;
    const run = mode === 'lean' ? lean : viaInterceptors;
    run(req, res, m[1]!).catch((e: unknown) => {
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end(String(e));
      }
    });
  });
  return () => served;

  /** The request as the guard and the handler read it (what Express's router would set). */
  function routed(req: IncomingMessage, id: string): void {
    Object.assign(req, {
      route: { path: ROUTE },
      params: { id },
      path: req.url,
      originalUrl: req.url,
      query: {},
    });
  }

  /** res.status / res.send as sendFhir uses them. */
  function shimOf(res: ServerResponse): ServerResponse {
    const shim = Object.assign(res, {
      status(code: number) {
        res.statusCode = code;
        return shim;
      },
      send(body: string) {
        res.setHeader('Content-Length', Buffer.byteLength(body));
        res.end(body);
        return shim;
      },
    });
    return shim;
  }

  function contextOf(req: IncomingMessage, res: ServerResponse): ExecutionContextHost {
    const ctx = new ExecutionContextHost(
      [req, res, () => undefined],
      PatientFhirController,
      PatientFhirController.prototype.read,
    );
    ctx.setType('http');
    return ctx;
  }

  async function viaInterceptors(
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
  ): Promise<void> {
    routed(req, id);
    const shim = shimOf(res);
    const ctx = contextOf(req, shim);
    try {
      await guard.canActivate(ctx);
      const next = (i: number): Observable<unknown> =>
        i === chain.length
          ? from(controller.read(req as never, shim as never))
          : (chain[i]!.intercept(ctx, {
              handle: () => next(i + 1),
            } as CallHandler) as Observable<unknown>);
      await lastValueFrom(next(0), { defaultValue: undefined });
    } catch (e) {
      filter.catch(e, ctx);
    }
  }

  async function lean(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    routed(req, id);
    const correlationId = correlationIdFrom(req.headers['x-correlation-id']);
    res.setHeader('x-correlation-id', correlationId);
    const endHttp = startRequestTimer('http', `GET ${ROUTE}`);
    const endFhir = startRequestTimer('fhir', 'Patient.read');
    res.once('finish', () => {
      endHttp({ code: String(res.statusCode) });
      endFhir({ code: String(res.statusCode) });
    });
    await guard.canActivate(contextOf(req, res));
    const info = callContextOf(req)!;
    // the prototype answers 500 where the product would sandbox or refuse (not met in the bench)
    if ((await certification.openSessionOf(info.caller.systemId)) !== null)
      throw new Error('conformance session: not handled by the prototype');
    if ((await budget.spend(info.caller.systemId)) !== 0)
      throw new Error('rate limited: not handled by the prototype');
    const shim = shimOf(res);
    const value = await runWithRequestContext({ correlationId, operation: `GET ${ROUTE}` }, () =>
      controller.read(req as never, shim as never),
    );
    const { action, resourceType } = auditShapeOf(info.rule);
    const subject = info.rule.subject?.(info.request, value);
    await auditor.record({
      interaction: info.key,
      action,
      outcome: 'success',
      caller: info.caller,
      resourceType,
      requiredScope: info.rule.scope,
      ...(subject?.nhsNumber ? { patientNhsNumber: subject.nhsNumber } : {}),
      ...(subject?.resourceId ? { resourceId: subject.resourceId } : {}),
    });
  }
}
