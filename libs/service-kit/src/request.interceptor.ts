// Establishes the request context (correlation id) for gRPC and HTTP handlers, records RED
// metrics and counts in-flight calls (used by the graceful drain).
import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { startRequestTimer } from '@trellis/telemetry';
import { Observable } from 'rxjs';
import { DomainError, grpcCodeOf, httpStatusOf } from './errors';
import { grpcCodeName } from './status-map';
import {
  CORRELATION_HEADER,
  correlationIdFrom,
  currentRequestContext,
  runWithRequestContext,
} from './request-context';

export class InFlightTracker {
  private count = 0;
  private waiters: (() => void)[] = [];
  /** Calls whose handler has started (accepted) since boot. */
  accepted = 0;
  inc(): void {
    this.count++;
    this.accepted++;
  }
  dec(): void {
    this.count--;
    if (this.count === 0) for (const w of this.waiters.splice(0)) w();
  }
  get current(): number {
    return this.count;
  }
  /** Resolves when no call is in flight. */
  idle(): Promise<void> {
    return this.count === 0
      ? Promise.resolve()
      : new Promise((resolve) => this.waiters.push(resolve));
  }
}

interface GrpcCallLike {
  getPath?: () => string;
}
interface HttpRequestLike {
  method?: string;
  url?: string;
  route?: { path?: string };
  headers?: Record<string, string | string[] | undefined>;
}
interface HttpResponseLike {
  statusCode?: number;
  setHeader?: (name: string, value: string) => void;
}

function grpcCodeOfError(err: unknown): number {
  if (err instanceof DomainError) return grpcCodeOf(err.kind);
  const code =
    (err as { code?: unknown; error?: { code?: unknown } } | null)?.code ??
    (err as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'number' ? code : GrpcStatus.INTERNAL;
}

function httpStatusOfError(err: unknown): number {
  if (err instanceof DomainError) return httpStatusOf(err.kind);
  const getStatus = (err as { getStatus?: unknown } | null)?.getStatus;
  return typeof getStatus === 'function' ? Number((getStatus as () => number).call(err)) : 500;
}

@Injectable()
export class RequestContextInterceptor implements NestInterceptor {
  constructor(private readonly inFlight: InFlightTracker) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const type = context.getType<'rpc' | 'http'>();
    if (type === 'rpc') return this.rpc(context, next);
    if (type === 'http') return this.http(context, next);
    return next.handle();
  }

  private rpc(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const metadata = context.getArgByIndex<unknown>(1);
    const call = context.getArgByIndex<GrpcCallLike | undefined>(2);
    const path = call?.getPath?.() ?? `${context.getClass().name}/${context.getHandler().name}`;
    const correlationId =
      currentRequestContext()?.correlationId ??
      correlationIdFrom(
        metadata instanceof Metadata ? metadata.get(CORRELATION_HEADER) : undefined,
      );
    return this.wrap({ correlationId, operation: path }, next, 'grpc', path, (err) =>
      err === undefined ? 'OK' : grpcCodeName(grpcCodeOfError(err)),
    );
  }

  private http(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<HttpRequestLike>();
    const res = context.switchToHttp().getResponse<HttpResponseLike>();
    const correlationId = correlationIdFrom(req.headers?.[CORRELATION_HEADER]);
    res.setHeader?.(CORRELATION_HEADER, correlationId);
    const route = `${req.method ?? 'GET'} ${req.route?.path ?? req.url ?? ''}`;
    return this.wrap({ correlationId, operation: route }, next, 'http', route, (err) =>
      err === undefined ? String(res.statusCode ?? 200) : String(httpStatusOfError(err)),
    );
  }

  private wrap(
    ctx: { correlationId: string; operation: string },
    next: CallHandler,
    kind: 'grpc' | 'http',
    name: string,
    codeOf: (err: unknown) => string,
  ): Observable<unknown> {
    return new Observable((subscriber) => {
      const end = startRequestTimer(kind, name);
      if (kind === 'grpc') this.inFlight.inc();
      let finished = false;
      const finish = (err: unknown) => {
        if (finished) return;
        finished = true;
        if (kind === 'grpc') this.inFlight.dec();
        end({ code: codeOf(err) });
      };
      const sub = runWithRequestContext(ctx, () =>
        next.handle().subscribe({
          next: (v) => subscriber.next(v),
          error: (e: unknown) => {
            finish(e);
            subscriber.error(e);
          },
          complete: () => {
            finish(undefined);
            subscriber.complete();
          },
        }),
      );
      return () => {
        finish(undefined);
        sub.unsubscribe();
      };
    });
  }
}
