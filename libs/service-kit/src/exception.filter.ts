// Catch-all filter: DomainError -> precise gRPC status/HTTP status with details; anything else ->
// INTERNAL / 500 with only the correlation id (never a message or stack from the error).
import {
  Catch,
  HttpException,
  Inject,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import type { Logger } from 'pino';
import { throwError, type Observable } from 'rxjs';
import { CORRELATION_KEY, DomainError, toGrpcError, toHttpError } from './errors';
import { LOGGER } from './logger';
import { CORRELATION_HEADER, correlationIdFrom, currentRequestContext } from './request-context';

interface HttpResponseLike {
  headersSent?: boolean;
  status(code: number): HttpResponseLike;
  setHeader(name: string, value: string): void;
  json(body: unknown): void;
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() === 'rpc') return this.rpc(exception, host);
    if (host.getType() === 'http') return this.http(exception, host);
    this.logUnexpected(exception, currentRequestContext()?.correlationId ?? 'n/a');
  }

  private rpc(exception: unknown, host: ArgumentsHost): Observable<never> {
    const metadata = host.getArgByIndex<unknown>(1);
    const correlationId =
      currentRequestContext()?.correlationId ??
      correlationIdFrom(
        metadata instanceof Metadata ? metadata.get(CORRELATION_HEADER) : undefined,
      );
    // RpcException({ code, message }) thrown on purpose (e.g. by the auth guard) keeps its code
    if (exception instanceof RpcException) {
      const err = exception.getError();
      if (
        typeof err === 'object' &&
        err !== null &&
        typeof (err as { code?: unknown }).code === 'number'
      ) {
        const e = err as { code: number; message?: string; details?: string };
        const md = new Metadata();
        md.set(CORRELATION_KEY, correlationId);
        const message = e.details ?? e.message ?? grpcName(e.code);
        this.logger.info(
          { grpc_code: e.code, correlation_id: correlationId },
          `rpc failed: ${message}`,
        );
        return throwError(() => ({ code: e.code, details: message, message, metadata: md }));
      }
    }
    if (exception instanceof DomainError) {
      this.logger.info(
        { err_code: exception.code, kind: exception.kind, correlation_id: correlationId },
        `rpc failed: ${exception.message}`,
      );
    } else {
      this.logUnexpected(exception, correlationId);
    }
    return throwError(() => toGrpcError(exception, correlationId));
  }

  private http(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<HttpResponseLike>();
    const req = http.getRequest<{ headers?: Record<string, string | string[] | undefined> }>();
    const correlationId =
      currentRequestContext()?.correlationId ??
      correlationIdFrom(req.headers?.[CORRELATION_HEADER]);
    if (res.headersSent) return;
    res.setHeader(CORRELATION_HEADER, correlationId);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status >= 500) this.logUnexpected(exception, correlationId);
      // RFC 6750 §3: a 401 names its scheme (the auth guard's challenge when it set one)
      if (status === 401) res.setHeader('WWW-Authenticate', challengeOf(exception) ?? 'Bearer');
      res.status(status).json({
        error: {
          code: `HTTP_${status}`,
          message: status >= 500 ? 'Internal error' : exception.message,
          correlationId,
        },
      });
      return;
    }
    const clientError = clientHttpErrorStatus(exception);
    if (clientError !== undefined) {
      // a body parser's refusal (http-errors: 413 too large, 400 malformed, 415 charset) is the
      // client's, not ours: its status, never a 500
      res.status(clientError).json({
        error: {
          code: `HTTP_${clientError}`,
          message: (exception as Error).message,
          correlationId,
        },
      });
      return;
    }
    if (!(exception instanceof DomainError)) this.logUnexpected(exception, correlationId);
    const { status, body } = toHttpError(exception, correlationId);
    res.status(status).json(body);
  }

  private logUnexpected(exception: unknown, correlationId: string): void {
    this.logger.error(
      {
        err: exception instanceof Error ? exception : { value: String(exception) },
        correlation_id: correlationId,
      },
      'unhandled error',
    );
  }
}

/** The 4xx status of an `http-errors` error a client caused (`expose: true`), else undefined. */
function clientHttpErrorStatus(e: unknown): number | undefined {
  if (!(e instanceof Error)) return undefined;
  const { status, expose } = e as Error & { status?: unknown; expose?: unknown };
  return expose === true && typeof status === 'number' && status >= 400 && status < 500
    ? status
    : undefined;
}

/** The RFC 6750 challenge @trellis/auth attaches to its HTTP exceptions (a registered symbol). */
function challengeOf(e: HttpException): string | undefined {
  const v = (e as unknown as Record<symbol, unknown>)[Symbol.for('trellis.auth.wwwAuthenticate')];
  return typeof v === 'string' ? v : undefined;
}

function grpcName(code: number): string {
  return (GrpcStatus as unknown as Record<number, string>)[code] ?? String(code);
}
