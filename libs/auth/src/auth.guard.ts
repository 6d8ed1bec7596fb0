import {
  ForbiddenException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  Optional,
  ServiceUnavailableException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { status as GrpcStatus } from '@grpc/grpc-js';

import { auditedByGateway, doorOf, type AccessAuditor } from './access-auditor';
import { attachCaller, END_USER_HEADER, type Caller } from './caller';
import { AuthError, AuthErrorCode } from './errors';
import {
  auditShapeOf,
  findRule,
  type ProtectedRule,
  type ScopeRule,
  type ScopeTable,
} from './scope-table';
import { callStatus, type CallVouch } from './call-status';
import {
  attachVouchBasis,
  SUSPENSION_UNKNOWN,
  VOUCH_HEADER,
  type GatewayVouchVerifier,
  type VouchedAdmission,
} from './gateway-vouch';
import { assertOwnPatient, requiredScopeOf } from './patient-access';
import { readOnlyScopes, scopeSatisfies } from './scopes';
import { SERVICE_TOKEN_HEADER, type ServiceIdentity } from './service-identity';
import { SuspensionCheck } from './suspension-check';
import { SystemStatusRegistry } from './system-status';
import { bearerToken, type AccessTokenVerifier } from './token-verifier';

export const AUTH_SCOPE_TABLE = Symbol('TRELLIS_AUTH_SCOPE_TABLE');
export const AUTH_VERIFIER = Symbol('TRELLIS_AUTH_VERIFIER');
export const AUTH_STATUS_REGISTRY = Symbol('TRELLIS_AUTH_STATUS_REGISTRY');
/** The SuspensionCheck wrapping the registry (and the fallback, where one is configured). */
export const AUTH_SUSPENSION_CHECK = Symbol('TRELLIS_AUTH_SUSPENSION_CHECK');
export const AUTH_AUDITOR = Symbol('TRELLIS_AUTH_AUDITOR');
export const AUTH_GUARD_OPTIONS = Symbol('TRELLIS_AUTH_GUARD_OPTIONS');

export interface AuthGuardOptions {
  /** Keys always public (health, reflection), in addition to `{ public: true }` table entries. */
  publicKeys: readonly string[];
  /** How long a call waits for the suspension registry's initial replay (ms). */
  statusReadyTimeoutMs: number;
  /**
   * Platforms: refuse every protected call without a valid service token (only the gateway and
   * peer platforms hold the key), so a local system's token alone does not open a platform.
   */
  requireServiceIdentity?: ServiceIdentity;
  /**
   * The service's own admission rule, applied after the scope check to every protected call (and
   * by the gateway's gRPC front door to every call it forwards): resolves to admit, rejects with an
   * AuthError to refuse. The gateway's lifecycle rule (issue 18) is one.
   */
  admit?: CallAdmission;
  /**
   * Platforms: while the suspension feed has not replayed, a call is served only when it carries
   * a valid vouch of the gateway (issue 22, docs/security.md "Gateway vouches").
   */
  vouchVerifier?: GatewayVouchVerifier;
}

/** What an admission rule sees of a call. */
export interface AdmissionCall {
  /** `/pkg.Service/Method` or `VERB /route`. */
  key: string;
  /** The scope the call's rule requires (absent: a method forwarded to a platform's own table). */
  requiredScope?: string;
  /** The call is forwarded to a domain platform whose scope rule this service does not hold. */
  forwarded?: boolean;
  /** The decoded request message (the gRPC front door), for rules on what the call names. */
  message?: () => unknown;
}

/** Resolves to admit (optionally naming how: the gateway vouches for it), rejects to refuse. */
export type CallAdmission = (
  caller: Caller,
  call: AdmissionCall,
) => Promise<void | VouchedAdmission>;

/** Health and reflection are reachable without a token so probes work. */
export const DEFAULT_PUBLIC_KEYS: readonly string[] = [
  '/grpc.health.v1.Health/Check',
  '/grpc.health.v1.Health/Watch',
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
];

/** What the guard learned about a call; read by the audit interceptor. */
export interface CallAuthContext {
  key: string;
  rule: ProtectedRule;
  caller: Caller;
  request: unknown;
}

const callContexts = new WeakMap<object, CallAuthContext>();
export function callContextOf(carrier: object | undefined): CallAuthContext | undefined {
  return carrier ? callContexts.get(carrier) : undefined;
}

interface CallShape {
  transport: 'rpc' | 'http';
  key: string;
  carrier: object;
  authorization: unknown;
  endUser: string | undefined;
  serviceToken: unknown;
  vouch: unknown;
  request: unknown;
}

interface GrpcMetadataLike {
  get(key: string): unknown[];
}
interface GrpcCallLike {
  getPath?: () => string;
}
interface HttpRequestLike {
  method: string;
  route?: { path?: string };
  path?: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Describes the current call in transport-neutral terms. Exported for the rate limiter. */
export function describeCall(context: ExecutionContext): CallShape | undefined {
  const type = context.getType<'rpc' | 'http'>();
  if (type === 'rpc') {
    const [data, metadata, call] =
      context.getArgs<[unknown, GrpcMetadataLike, GrpcCallLike | undefined]>();
    if (!metadata || typeof metadata.get !== 'function') return undefined;
    const path = typeof call?.getPath === 'function' ? call.getPath() : undefined;
    if (!path) return undefined;
    const first = (k: string): unknown => metadata.get(k)[0];
    const user = first(END_USER_HEADER);
    return {
      transport: 'rpc',
      key: path,
      carrier: metadata as object,
      authorization: first('authorization'),
      endUser: typeof user === 'string' ? user : undefined,
      serviceToken: first(SERVICE_TOKEN_HEADER),
      vouch: first(VOUCH_HEADER),
      request: data,
    };
  }
  if (type === 'http') {
    const req = context.switchToHttp().getRequest<HttpRequestLike>();
    const route = req.route?.path;
    if (!route) return undefined;
    const user = req.headers[END_USER_HEADER];
    return {
      transport: 'http',
      // Express serves HEAD with the GET handler: it needs exactly the GET rule.
      key: `${req.method.toUpperCase() === 'HEAD' ? 'GET' : req.method.toUpperCase()} ${route}`,
      carrier: req as object,
      authorization: req.headers['authorization'],
      endUser: typeof user === 'string' ? user : undefined,
      serviceToken: req.headers[SERVICE_TOKEN_HEADER],
      vouch: req.headers[VOUCH_HEADER],
      request: req,
    };
  }
  return undefined;
}

/**
 * The one guard of every Trellis service (registered globally by TrellisAuthModule): finds the
 * call's rule in the service's scope table (undeclared → denied), verifies the bearer token,
 * refuses suspended systems, checks the scope, attaches the caller, and audits denied
 * patient-data calls.
 */
@Injectable()
export class TrellisAuthGuard implements CanActivate {
  private readonly logger = new Logger('TrellisAuthGuard');

  constructor(
    @Inject(AUTH_SCOPE_TABLE) private readonly table: ScopeTable,
    @Inject(AUTH_VERIFIER) private readonly verifier: AccessTokenVerifier,
    @Inject(AUTH_SUSPENSION_CHECK)
    private readonly statuses: SuspensionCheck | SystemStatusRegistry,
    @Inject(AUTH_GUARD_OPTIONS) private readonly options: AuthGuardOptions,
    @Optional() @Inject(AUTH_AUDITOR) private readonly auditor?: AccessAuditor,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const call = describeCall(context);
    if (!call) {
      // Not a gRPC unary/stream or HTTP route we can identify: fail closed.
      throw toTransportError(
        context.getType() === 'rpc' ? 'rpc' : 'http',
        new AuthError(
          AuthErrorCode.UndeclaredMethod,
          'method not permitted',
          'unidentifiable call',
        ),
      );
    }
    const rule: ScopeRule | undefined = findRule(this.table, call.key);
    if (rule?.public === true || (!rule && this.options.publicKeys.includes(call.key))) return true;

    let caller: Caller | undefined;
    let checkedAt = 0;
    try {
      caller = await this.authenticate(call);
      checkedAt = Date.now();
      this.options.requireServiceIdentity?.verify(call.serviceToken);
      if (!rule) {
        throw new AuthError(
          AuthErrorCode.UndeclaredMethod,
          'method not permitted',
          `no scope declared for ${call.key}`,
        );
      }
      const required = requiredScopeOf(caller, rule);
      if (!scopeSatisfies(caller.scopes, required)) {
        throw caller.writesRestricted
          ? new AuthError(
              AuthErrorCode.WritesRestricted,
              'write scopes withdrawn: the product version is under compliance enforcement',
            )
          : new AuthError(
              AuthErrorCode.InsufficientScope,
              `insufficient scope: requires ${required}`,
            );
      }
      assertOwnPatient(caller, rule, call.request);
      const admission = await this.options.admit?.(caller, {
        key: call.key,
        requiredScope: required,
      });
      const accessToken = bearerToken(call.authorization);
      if (accessToken)
        attachVouchBasis(call.carrier, {
          systemId: caller.systemId,
          accessToken,
          writesRestricted: caller.writesRestricted === true,
          checkedAt,
          admission: admission ?? (caller.patient !== undefined ? 'citizen' : 'admitted'),
        });
    } catch (err) {
      const authErr =
        err instanceof AuthError
          ? err
          : new AuthError(AuthErrorCode.AuthUnavailable, 'authorisation unavailable', String(err));
      if (authErr.reason) this.logger.debug(`${call.key}: ${authErr.code} ${authErr.reason}`);
      if (rule && rule.public !== true && rule.patientData) {
        await this.auditDenied(call, rule, caller ?? authErr.caller, authErr);
      }
      throw toTransportError(call.transport, authErr);
    }
    attachCaller(call.carrier, caller);
    callContexts.set(call.carrier, { key: call.key, rule, caller, request: call.request });
    return true;
  }

  private authenticate(call: CallShape): Promise<Caller> {
    const verifier = this.options.vouchVerifier;
    return authenticateBearer(
      this.verifier,
      this.statuses,
      call.authorization,
      call.endUser,
      this.options.statusReadyTimeoutMs,
      verifier && {
        value: call.vouch,
        verifier,
        ...this.callingService(call),
      },
    );
  }

  /** The peer named by the call's service token (checked again, and refused, after this). */
  private callingService(call: CallShape): { callingService?: string } {
    try {
      const service = this.options.requireServiceIdentity?.verify(call.serviceToken);
      return service ? { callingService: service } : {};
    } catch {
      return {};
    }
  }

  private async auditDenied(
    call: CallShape,
    rule: ProtectedRule,
    caller: Caller | undefined,
    err: AuthError,
  ): Promise<void> {
    // the gateway's FHIR facade records the refusal of its interaction itself
    if (!this.auditor || auditedByGateway(call.carrier)) return;
    const { action, resourceType } = auditShapeOf(rule);
    let subject: ReturnType<NonNullable<ProtectedRule['subject']>>;
    try {
      subject = rule.subject?.(call.request);
    } catch {
      subject = undefined;
    }
    const status =
      err.kind === 'unauthenticated'
        ? 'UNAUTHENTICATED'
        : err.kind === 'forbidden'
          ? 'PERMISSION_DENIED'
          : 'UNAVAILABLE';
    try {
      await this.auditor.record({
        interaction: call.key,
        action,
        outcome: 'denied',
        outcomeDescription: `${status}: ${err.code}`,
        ...(caller ? { caller } : {}),
        ...(call.endUser ? { userId: call.endUser } : {}),
        ...(doorOf(call.carrier) ? { door: doorOf(call.carrier) } : {}),
        resourceType,
        requiredScope: rule.scope,
        ...(subject?.nhsNumber ? { patientNhsNumber: subject.nhsNumber } : {}),
        ...(subject?.morePatients?.length ? { morePatientNhsNumbers: subject.morePatients } : {}),
        ...(subject?.resourceId ? { resourceId: subject.resourceId } : {}),
      });
    } catch (auditErr) {
      // The call is refused either way; losing the denial record is logged loudly.
      this.logger.error(`failed to record denied access for ${call.key}: ${String(auditErr)}`);
    }
  }
}

/**
 * Bearer token → caller: verifies the token, waits (bounded) for the suspension registry's replay
 * (or asks the fallback, see SuspensionCheck) and refuses suspended systems. Throws AuthError. Shared by the guard and the gateway's gRPC front
 * door, so both doors authenticate identically.
 */
export async function authenticateBearer(
  verifier: AccessTokenVerifier,
  statuses: SuspensionCheck | SystemStatusRegistry,
  authorization: unknown,
  endUser: string | undefined,
  statusReadyTimeoutMs: number,
  vouch?: CallVouch,
): Promise<Caller> {
  if (authorization === undefined || authorization === '') {
    throw new AuthError(AuthErrorCode.MissingToken, 'missing bearer token');
  }
  const token = bearerToken(authorization);
  if (!token)
    throw new AuthError(AuthErrorCode.InvalidToken, 'invalid access token', 'not a Bearer JWT');
  const caller = await verifier.verify(token, endUser);
  const check = statuses instanceof SystemStatusRegistry ? new SuspensionCheck(statuses) : statuses;
  const status = await callStatus(check, caller, token, statusReadyTimeoutMs, vouch);
  if (!status.available) {
    throw new AuthError(
      AuthErrorCode.AuthUnavailable,
      vouch ? SUSPENSION_UNKNOWN : 'authorisation not ready',
      status.reason,
    );
  }
  if (status.suspended) {
    throw new AuthError(
      AuthErrorCode.SystemSuspended,
      'invalid access token',
      `system ${caller.systemId} suspended`,
      caller,
    );
  }
  // Compliance enforcement: the product version's deployments keep only their read scopes.
  if (status.writesRestricted)
    return {
      ...caller,
      scopes: Object.freeze(readOnlyScopes(caller.scopes)),
      writesRestricted: true,
    };
  return caller;
}

/** Maps an AuthError to the transport's status without leaking internals. */
export function toTransportError(transport: 'rpc' | 'http', err: AuthError): Error {
  if (transport === 'rpc') {
    const code =
      err.kind === 'unauthenticated'
        ? GrpcStatus.UNAUTHENTICATED
        : err.kind === 'forbidden'
          ? GrpcStatus.PERMISSION_DENIED
          : GrpcStatus.UNAVAILABLE;
    return new RpcException({ code, message: err.message });
  }
  const body = {
    statusCode: 0,
    error: err.code,
    message: err.message,
    ...(err.rule ? { rule: err.rule } : {}),
  };
  switch (err.kind) {
    case 'unauthenticated': {
      const e = new UnauthorizedException({ ...body, statusCode: HttpStatus.UNAUTHORIZED });
      return withChallenge(e, `Bearer error="invalid_token"`);
    }
    case 'forbidden': {
      const e = new ForbiddenException({ ...body, statusCode: HttpStatus.FORBIDDEN });
      return withChallenge(e, `Bearer error="insufficient_scope"`);
    }
    case 'unavailable':
      return new ServiceUnavailableException({
        ...body,
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      });
  }
}

/** HTTP exceptions carry the RFC 6750 challenge for filters to copy into WWW-Authenticate. */
export const WWW_AUTHENTICATE = Symbol.for('trellis.auth.wwwAuthenticate');
function withChallenge(e: HttpException, challenge: string): HttpException {
  Object.defineProperty(e, WWW_AUTHENTICATE, { value: challenge, enumerable: false });
  return e;
}

export function wwwAuthenticateOf(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const v = (e as Record<symbol, unknown>)[WWW_AUTHENTICATE];
  return typeof v === 'string' ? v : undefined;
}
