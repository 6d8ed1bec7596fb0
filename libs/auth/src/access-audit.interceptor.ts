import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Observable } from 'rxjs';

import { auditedByGateway, doorOf, type AccessAuditor, type AuditOutcome } from './access-auditor';
import { AUTH_AUDITOR, callContextOf, describeCall, toTransportError } from './auth.guard';
import { AuthError, AuthErrorCode } from './errors';
import { holdResponse } from './response-hold';
import { auditShapeOf, type AuditSubject } from './scope-table';

/**
 * Audits every allowed patient-data call exactly once, after the handler finished and BEFORE the
 * response is released: the handler's value is held until the audit record is in the outbox, so
 * nothing is acknowledged without its audit. If the audit cannot be written the call fails
 * (UNAVAILABLE / 503) instead of answering unaudited. Denied calls are audited by the guard, which
 * stops them before this interceptor runs — so each call is recorded once either way.
 * A handler that writes the HTTP response itself (`@Res()`, the gateway's FHIR facade) is held the
 * same way: its writes are queued until the record is in the outbox (holdResponse), and dropped —
 * status and headers undone — when the audit fails, so the 503 is all the client gets.
 */
@Injectable()
export class AccessAuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger('AccessAuditInterceptor');

  constructor(@Optional() @Inject(AUTH_AUDITOR) private readonly auditor?: AccessAuditor) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const call = describeCall(context);
    const info = callContextOf(call?.carrier);
    if (!call || !info || !info.rule.patientData || !this.auditor) return next.handle();
    // the gateway's FHIR facade records this access itself (one record per access)
    if (auditedByGateway(call.carrier)) return next.handle();
    const auditor = this.auditor;
    const { action, resourceType } = auditShapeOf(info.rule);

    const write = async (
      outcome: AuditOutcome,
      response: unknown,
      description?: string,
    ): Promise<void> => {
      let subject: AuditSubject | undefined;
      try {
        subject = info.rule.subject?.(info.request, response);
      } catch {
        subject = undefined;
      }
      await auditor.record({
        interaction: info.key,
        action,
        outcome,
        ...(description ? { outcomeDescription: description } : {}),
        caller: info.caller,
        ...(doorOf(call.carrier) ? { door: doorOf(call.carrier) } : {}),
        resourceType,
        requiredScope: info.rule.scope,
        ...(subject?.nhsNumber ? { patientNhsNumber: subject.nhsNumber } : {}),
        ...(subject?.morePatients?.length ? { morePatientNhsNumbers: subject.morePatients } : {}),
        ...(subject?.resourceId ? { resourceId: subject.resourceId } : {}),
      });
    };
    const auditFailure = (err: unknown): Error => {
      this.logger.error(`access audit write failed for ${info.key}: ${String(err)}`);
      return toTransportError(
        call.transport,
        new AuthError(AuthErrorCode.AuthUnavailable, 'audit unavailable'),
      );
    };

    return new Observable<unknown>((subscriber) => {
      const values: unknown[] = [];
      const held =
        call.transport === 'http' ? holdResponse(context.switchToHttp().getResponse()) : undefined;
      const failed = (auditErr: unknown) => {
        held?.fail();
        subscriber.error(auditFailure(auditErr));
      };
      const sub = next.handle().subscribe({
        next: (v) => values.push(v),
        error: (err: unknown) => {
          write(classify(err), undefined, describeError(err)).then(() => {
            held?.release();
            subscriber.error(err);
          }, failed);
        },
        complete: () => {
          write('success', values[0]).then(() => {
            held?.release();
            for (const v of values) subscriber.next(v);
            subscriber.complete();
          }, failed);
        },
      });
      return () => sub.unsubscribe();
    });
  }
}

const CLIENT_GRPC_CODES = new Set([3, 5, 6, 8, 9, 10, 11]);
const CLIENT_KINDS = new Set([
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
  'ABORTED',
  'RESOURCE_EXHAUSTED',
]);

/** denied (authz), rejected (client error: 4xx / gRPC client codes / DomainError kinds) or error. */
function classify(err: unknown): AuditOutcome {
  if (isDenial(err)) return 'denied';
  if (typeof err === 'object' && err !== null) {
    const e = err as {
      kind?: unknown;
      getError?: () => unknown;
      getStatus?: () => unknown;
      status?: unknown;
    };
    if (e.kind === 'PERMISSION_DENIED' || e.kind === 'UNAUTHENTICATED') return 'denied';
    if (typeof e.kind === 'string' && CLIENT_KINDS.has(e.kind)) return 'rejected';
    if (typeof e.getError === 'function') {
      const inner = e.getError();
      const code =
        typeof inner === 'object' && inner !== null
          ? (inner as { code?: unknown }).code
          : undefined;
      if (typeof code === 'number' && CLIENT_GRPC_CODES.has(code)) return 'rejected';
    }
    const httpStatus = typeof e.getStatus === 'function' ? e.getStatus() : e.status;
    if (typeof httpStatus === 'number' && httpStatus >= 400 && httpStatus < 500) return 'rejected';
  }
  return 'error';
}

/** Organisation rules enforced by the handler (PERMISSION_DENIED / 403) are denials, not errors. */
function isDenial(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { status?: unknown; getError?: () => unknown; getStatus?: () => unknown };
  if (typeof e.getError === 'function') {
    const inner = e.getError();
    const code =
      typeof inner === 'object' && inner !== null ? (inner as { code?: unknown }).code : undefined;
    return code === 7 || code === 16;
  }
  const httpStatus = typeof e.getStatus === 'function' ? e.getStatus() : e.status;
  return httpStatus === 401 || httpStatus === 403;
}

/** A short, non-secret description of a handler error: its gRPC code / HTTP status and name. */
function describeError(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const e = err as { code?: unknown; status?: unknown; name?: unknown; getError?: () => unknown };
    if (typeof e.getError === 'function') {
      const inner = e.getError();
      if (typeof inner === 'object' && inner !== null && 'code' in inner)
        return `grpc ${String((inner as { code: unknown }).code)}`;
    }
    if (typeof e.status === 'number') return `http ${e.status}`;
    if (typeof e.code === 'number' || typeof e.code === 'string') return `code ${String(e.code)}`;
    if (typeof e.name === 'string') return e.name;
  }
  return 'error';
}
