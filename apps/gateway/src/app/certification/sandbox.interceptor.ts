import {
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { callerOf } from '@trellis/auth';
import { FhirError } from '@trellis/fhir';
import type { Request, Response } from 'express';
import { from, mergeMap, type Observable } from 'rxjs';

import { type SessionRow } from './certification.repository';
import { CertificationService, type FaultDecision } from './certification.service';
import { type FaultKind, SCENARIO_HEADER } from './exchange';
import { idempotencyKeyOf, nonSandboxNhsNumbers, resourceIdOf } from './sandbox-data';

/** The certification endpoints themselves are not part of a session's recorded traffic. */
const OWN_PATHS = /^\/fhir\/(TestScript|TestReport|VerificationResult)(\/|$)/;

const one = (v: string | string[] | undefined): string | null =>
  (Array.isArray(v) ? v[0] : v) ?? null;

/**
 * The conformance sandbox at the FHIR facade: for a system with an open session, every request
 * is recorded (request line, conditional headers, idempotency key, answer), NHS numbers outside
 * the 999 test range are refused, and the fault a scenario plans for this request is injected —
 * 429/503 with Retry-After, 412, a duplicate refusal (the platform is not called), or a dropped
 * connection after the platform did the work. Systems without a session pass straight through
 * (one cached lookup).
 */
@Injectable()
export class SandboxInterceptor implements NestInterceptor {
  private readonly logger = new Logger('ConformanceSandbox');

  constructor(private readonly certification: CertificationService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    const caller = callerOf(req);
    const path = req.path;
    if (!caller || OWN_PATHS.test(path)) return next.handle();
    // the sandbox never takes clinical traffic down: a failed lookup means "no session"
    const lookup = this.certification.openSessionOf(caller.systemId).catch((e: unknown) => {
      this.logger.warn(`conformance session lookup failed (treated as none): ${String(e)}`);
      return null;
    });
    return from(lookup).pipe(
      mergeMap((session) => (session ? this.sandboxed(session, req, res, next) : next.handle())),
    );
  }

  private sandboxed(
    session: SessionRow,
    req: Request,
    res: Response,
    next: CallHandler,
  ): Observable<unknown> {
    const query = req.originalUrl.includes('?')
      ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1)
      : '';
    const body: unknown = req.body;
    const foreign = nonSandboxNhsNumbers(req.path, query, body);
    return from(
      this.certification.arrive(session, {
        scenario: one(req.headers[SCENARIO_HEADER])?.slice(0, 100) ?? null,
        method: req.method,
        path: req.path.slice(0, 512),
        query: query.slice(0, 1024),
        ifMatch: one(req.headers['if-match'])?.slice(0, 100) ?? null,
        ifNoneExist: one(req.headers['if-none-exist'])?.slice(0, 512) ?? null,
        key: idempotencyKeyOf(body),
      }),
    ).pipe(
      mergeMap(({ seq, fault }) => {
        this.recordAnswer(session, seq, res, foreign.length ? null : fault);
        if (foreign.length > 0)
          throw FhirError.of(
            422,
            'business-rule',
            'conformance.sandbox-data',
            `a conformance session uses sandbox data only: NHS number ${foreign[0]!} is not in the 999 test range`,
          );
        if (fault) this.inject(fault, res);
        return next.handle();
      }),
    );
  }

  /** Records the status, answered resource id and Retry-After once the exchange ends. */
  private recordAnswer(
    session: SessionRow,
    seq: number,
    res: Response,
    fault: FaultDecision | null,
  ): void {
    let resourceId: string | null = null;
    const send = res.send.bind(res);
    res.send = (payload?: unknown) => {
      resourceId = resourceIdOf(payload) ?? resourceId;
      return send(payload);
    };
    res.once('close', () => {
      const dropped = fault?.kind === 'drop' || !res.writableFinished;
      const retryAfter = Number(res.getHeader('retry-after'));
      this.certification
        .answered(session.id, seq, {
          status: dropped ? 0 : res.statusCode,
          fault: (fault?.kind ?? null) as FaultKind | null,
          resourceId: resourceId ?? locationId(res.getHeader('location')),
          retryAfter: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
        })
        .catch((e: unknown) =>
          this.logger.warn(`exchange ${String(seq)} not recorded: ${String(e)}`),
        );
    });
  }

  private inject(fault: FaultDecision, res: Response): void {
    const retry = fault.retryAfter ? { 'Retry-After': String(fault.retryAfter) } : undefined;
    switch (fault.kind) {
      case 'rate-limit':
        throw FhirError.of(
          429,
          'throttled',
          'rate-limit.exceeded',
          'rate limit exceeded (conformance sandbox)',
          undefined,
          retry,
        );
      case 'unavailable':
        throw FhirError.of(
          503,
          'transient',
          'http.unavailable',
          'service temporarily unavailable (conformance sandbox)',
          undefined,
          retry,
        );
      case 'precondition':
        throw FhirError.of(
          412,
          'conflict',
          'http.precondition-failed',
          'the version in If-Match is no longer the current one: read the resource again (conformance sandbox)',
        );
      case 'duplicate':
        throw FhirError.of(
          412,
          'duplicate',
          'identity.duplicate.single-match',
          `likely duplicate of Patient/${fault.candidate ?? '?'} (conformance sandbox)`,
          'Patient',
        );
      case 'drop': {
        // the platform does the work; the answer never reaches the client
        const drop = () => {
          res.socket?.destroy();
          return res;
        };
        res.send = drop;
        res.end = drop as Response['end'];
        return;
      }
    }
  }
}

function locationId(location: unknown): string | null {
  if (typeof location !== 'string') return null;
  return /\/fhir\/[A-Za-z]+\/([^/]+)/.exec(location)?.[1] ?? null;
}
