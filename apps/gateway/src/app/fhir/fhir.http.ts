import {
  ArgumentsHost,
  Catch,
  HttpException,
  Logger,
  type ExceptionFilter,
  type NestMiddleware,
} from '@nestjs/common';
import {
  FhirError,
  fhirErrorFromPlatform,
  operationOutcome,
  type FhirIssue,
  type IssueCode,
} from '@trellis/fhir';
import { callContextOf, vouchBasisOf, wwwAuthenticateOf } from '@trellis/auth';
import { currentCorrelationId } from '@trellis/service-kit';
import { json } from 'express';
import type { NextFunction, Request, Response } from 'express';

import { fhirRequestProblem } from './fhir.request';
import { PlatformCallError, type ForwardContext } from './platform-clients';

export const FHIR_JSON = 'application/fhir+json';
/** The only body a PATCH takes (RFC 6902). */
export const JSON_PATCH = 'application/json-patch+json';

/** Writes a FHIR JSON answer (status, headers, body) and returns the body (for interceptors). */
export function sendFhir<T>(
  res: Response,
  status: number,
  body: T,
  headers: Record<string, string> = {},
): T {
  res.status(status);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', `${FHIR_JSON}; charset=utf-8`);
  res.send(JSON.stringify(body));
  return body;
}

/** The caller's token, trace context and correlation id, forwarded to the platforms. */
export function forwardContext(req: Request): ForwardContext {
  const h = req.headers;
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const ctx: ForwardContext = {};
  const auth = one(h['authorization']);
  if (auth) ctx.authorization = auth;
  const tp = one(h['traceparent']);
  if (tp) ctx.traceparent = tp;
  const ts = one(h['tracestate']);
  if (ts) ctx.tracestate = ts;
  const corr = currentCorrelationId() ?? one(h['x-correlation-id']);
  if (corr) ctx.correlationId = corr;
  const user = one(h['x-trellis-user']);
  if (user) ctx.userId = user;
  // a patient-data route is audited here, once per FHIR interaction (docs/security.md §6)
  if (callContextOf(req)?.rule.patientData === true) ctx.auditedByGateway = true;
  const vouch = vouchBasisOf(req);
  if (vouch) ctx.vouch = vouch;
  return ctx;
}

const HTTP_CODES: Record<number, { code: IssueCode; rule: string }> = {
  400: { code: 'invalid', rule: 'http.bad-request' },
  401: { code: 'login', rule: 'auth.unauthenticated' },
  403: { code: 'forbidden', rule: 'auth.forbidden' },
  404: { code: 'not-found', rule: 'http.not-found' },
  405: { code: 'not-supported', rule: 'http.method-not-allowed' },
  406: { code: 'not-supported', rule: 'http.not-acceptable' },
  409: { code: 'conflict', rule: 'http.conflict' },
  412: { code: 'conflict', rule: 'http.precondition-failed' },
  413: { code: 'too-costly', rule: 'http.payload-too-large' },
  415: { code: 'not-supported', rule: 'http.unsupported-media-type' },
  422: { code: 'processing', rule: 'http.unprocessable' },
  429: { code: 'throttled', rule: 'rate-limit.exceeded' },
  503: { code: 'transient', rule: 'http.unavailable' },
};

function httpExceptionIssue(e: HttpException): FhirIssue {
  const status = e.getStatus();
  const body = e.getResponse();
  const message =
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { message?: unknown }).message === 'string'
      ? (body as { message: string }).message
      : e.message;
  const m = HTTP_CODES[status] ?? { code: 'exception' as IssueCode, rule: 'http.error' };
  // an auth refusal may name a more precise rule (the lifecycle rule, issue 18)
  const rule =
    status < 500 &&
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { rule?: unknown }).rule === 'string'
      ? (body as { rule: string }).rule
      : m.rule;
  return {
    severity: 'error',
    code: m.code,
    rule,
    message: status >= 500 && status !== 503 ? 'Internal error' : message,
  };
}

/**
 * Every error under /fhir answered as an OperationOutcome with its HTTP status (never a stack):
 * FhirError as is, platform gRPC errors by kind, Nest HTTP errors (auth guard 401/403, rate limit
 * 429) by status, anything else 500 with the correlation id only.
 */
@Catch()
export class FhirExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('FhirFacade');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    const { status, issues, headers } = this.describe(exception);
    sendFhir(res, status, operationOutcome(issues), headers);
  }

  describe(exception: unknown): {
    status: number;
    issues: readonly FhirIssue[];
    headers: Record<string, string>;
  } {
    if (exception instanceof FhirError) {
      return {
        status: exception.status,
        issues: exception.issues,
        headers: {
          ...(exception.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}),
          ...exception.headers,
        },
      };
    }
    if (exception instanceof PlatformCallError) {
      const e = fhirErrorFromPlatform(exception.decoded, 'Resource');
      if (e.status >= 500)
        this.logger.warn(
          `${exception.platform} ${exception.method} failed: ${exception.decoded.message}`,
        );
      return { status: e.status, issues: e.issues, headers: {} };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const challenge = wwwAuthenticateOf(exception);
      // RFC 6750 §3: every 401 names the scheme; 403 carries insufficient_scope when known
      const headers: Record<string, string> =
        status === 401
          ? { 'WWW-Authenticate': challenge ?? 'Bearer' }
          : challenge && status === 403
            ? { 'WWW-Authenticate': challenge }
            : {};
      return { status, issues: [httpExceptionIssue(exception)], headers };
    }
    const corr = currentCorrelationId();
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    return {
      status: 500,
      issues: [
        {
          severity: 'fatal',
          code: 'exception',
          rule: 'http.internal',
          message: `Internal error${corr ? ` (correlation id ${corr})` : ''}`,
        },
      ],
      headers: {},
    };
  }
}

/**
 * The routes that carry attachments (a referral's contained Binaries) get their own body limit: a
 * full-size attachment in base64 plus an ordinary resource, so the platform's attachment limit —
 * not the gateway's small global limit — decides (see attachmentBodyBytes).
 */
export interface AttachmentUploadLimit {
  bodyBytes: number;
  matches: (req: Request) => boolean;
}

/** Body limit of an attachment route: base64 of one largest attachment + the ordinary limit. */
export function attachmentBodyBytes(attachmentBytes: number, ordinaryBodyBytes: number): number {
  return Math.ceil(attachmentBytes / 3) * 4 + ordinaryBodyBytes;
}

/** POST /fhir/ServiceRequest (create: the one interaction that takes contained Binaries). */
export function isAttachmentUpload(req: Request): boolean {
  const path = (req.originalUrl ?? req.url).split('?')[0] ?? '';
  return req.method === 'POST' && /\/ServiceRequest\/?$/.test(path);
}

/**
 * Request handling for /fhir before routing: the request line (fhirRequestProblem: path
 * encoding, `[id]` syntax, control characters → 400), then the body: 415 unless it is
 * application/fhir+json (or application/json; a PATCH application/json-patch+json only), 413 above the configured size, 400 for malformed
 * JSON — each as an OperationOutcome. The app has no other body parser (bootstrap bodyParser off).
 */
export function fhirBodyMiddleware(
  defaultMaxBytes: number,
  upload?: AttachmentUploadLimit,
): NestMiddleware['use'] {
  const parsers = new Map<number, ReturnType<typeof json>>();
  const parserOf = (limit: number) => {
    let p = parsers.get(limit);
    if (!p) parsers.set(limit, (p = json({ type: () => true, limit, strict: false })));
    return p;
  };
  const filter = new FhirExceptionFilter();
  const fail = (res: Response, e: FhirError) => sendFhir(res, e.status, e.outcome);
  return (req: Request, res: Response, next: NextFunction) => {
    const problem = fhirRequestProblem(req);
    if (problem) {
      fail(res, problem);
      return;
    }
    if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') return next();
    const maxBytes = upload?.matches(req) ? upload.bodyBytes : defaultMaxBytes;
    const parse = parserOf(maxBytes);
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > maxBytes) {
      fail(
        res,
        FhirError.of(
          413,
          'too-costly',
          'http.payload-too-large',
          `request body exceeds ${maxBytes} bytes`,
        ),
      );
      return;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const hasBody = length > 0 || req.headers['transfer-encoding'] !== undefined;
    if (req.method === 'PATCH' && type !== JSON_PATCH) {
      fail(
        res,
        FhirError.of(
          415,
          'not-supported',
          'http.unsupported-media-type',
          `a PATCH body must be ${JSON_PATCH} (RFC 6902)`,
        ),
      );
      return;
    }
    if (!hasBody) return next();
    if (req.method !== 'PATCH' && type !== FHIR_JSON && type !== 'application/json') {
      fail(
        res,
        FhirError.of(
          415,
          'not-supported',
          'http.unsupported-media-type',
          `content type must be ${FHIR_JSON}`,
        ),
      );
      return;
    }
    if (
      req.body !== undefined &&
      req.body !== null &&
      typeof req.body === 'object' &&
      Object.keys(req.body as object).length > 0
    ) {
      return next(); // already parsed (application/json by the app's parser)
    }
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const status = (err as { status?: number }).status;
      if (status === 413) {
        fail(
          res,
          FhirError.of(
            413,
            'too-costly',
            'http.payload-too-large',
            `request body exceeds ${maxBytes} bytes`,
          ),
        );
      } else if (status === 400 || status === 415) {
        fail(res, FhirError.of(400, 'structure', 'fhir.json', 'the body is not valid JSON'));
      } else {
        const d = filter.describe(err);
        sendFhir(res, d.status, operationOutcome(d.issues));
      }
    });
  };
}
