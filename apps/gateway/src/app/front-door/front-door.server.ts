import { randomUUID } from 'node:crypto';

import {
  Client,
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  status,
  type ServerUnaryCall,
  type ServiceDefinition,
  type ServiceError,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  AUTH_GUARD_OPTIONS,
  AUTH_SUSPENSION_CHECK,
  AUTH_VERIFIER,
  authenticateBearer,
  AuthError,
  AuthErrorCode,
  bearerToken,
  DOOR_HEADER,
  END_USER_HEADER,
  SERVICE_IDENTITY,
  VOUCH_HEADER,
  withServiceToken,
  type AccessAuditor,
  type AccessTokenVerifier,
  type AuthGuardOptions,
  type Caller,
  type GatewayVouchSigner,
  type ServiceIdentity,
  type SuspensionCheck,
  type VouchedAdmission,
} from '@trellis/auth';
import {
  createReflectionService,
  decodeGrpcError,
  DomainError,
  loadProtoPackageDefinition,
  toGrpcError,
} from '@trellis/service-kit';

import { GATEWAY_AUDITOR } from '../audit/gateway-events.module';
import { ConformanceRecorder } from '../fhir/conformance';
import { FHIR_CONFIG, type FhirConfig, type PlatformName } from '../fhir/fhir.config';
import { SystemRateBudget } from '../rate-limit/system-rate-budget';
import { GATEWAY_VOUCH_SIGNER } from '../tokens/tokens.module';
import { FRONT_DOOR_CONFIG, type FrontDoorConfig } from './front-door.config';
import { httpStatusOfGrpc, passedOn, rateLimited } from './front-door.errors';
import { FRONT_DOOR_SERVICES, frontDoorRoutes, type FrontDoorRoute } from './front-door.routes';

const bytes = (b: Buffer): Buffer => b;
const FORWARDED = ['traceparent', 'tracestate', 'x-correlation-id'] as const;

/**
 * The gRPC front door for local systems: one generic byte-forwarding handler per platform method
 * (generated from the proto service definitions, so a new RPC is covered without code). Each call
 * is authenticated like the REST door (same verifier + suspension registry), spends from the SAME
 * per-system rate budget, is forwarded with the caller's token, end user, trace context, the
 * gateway's service identity and a deadline, and a refused write counts as a ConformanceViolation.
 * Audit: the door records what it refuses itself (the platform never sees those calls); a forwarded
 * call is audited once, by the platform that decides it (docs/security.md §6).
 */
@Injectable()
export class FrontDoorServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('FrontDoor');
  private readonly server = new Server({
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    // channelz bookkeeping costs CPU on every call of a proxy; nothing here reads it
    'grpc.enable_channelz': 0,
  });
  private readonly clients = new Map<PlatformName, Client>();
  private boundPort: number | undefined;

  constructor(
    @Inject(FRONT_DOOR_CONFIG) private readonly config: FrontDoorConfig,
    @Inject(FHIR_CONFIG) private readonly fhir: FhirConfig,
    @Inject(AUTH_VERIFIER) private readonly verifier: AccessTokenVerifier,
    @Inject(AUTH_SUSPENSION_CHECK) private readonly statuses: SuspensionCheck,
    @Inject(AUTH_GUARD_OPTIONS) private readonly guardOptions: AuthGuardOptions,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity | null,
    @Inject(GATEWAY_AUDITOR) private readonly auditor: AccessAuditor,
    private readonly budget: SystemRateBudget,
    private readonly conformance: ConformanceRecorder,
    @Inject(GATEWAY_VOUCH_SIGNER) private readonly vouches: GatewayVouchSigner,
  ) {}

  /** The bound port (undefined when the door is off). */
  get port(): number | undefined {
    return this.boundPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.port === undefined) return;
    const byService = new Map<string, FrontDoorRoute[]>();
    for (const route of frontDoorRoutes()) {
      if (!route.unary) continue; // every platform method is unary today; a stream stays closed
      const list = byService.get(route.service) ?? [];
      list.push(route);
      byService.set(route.service, list);
    }
    for (const routes of byService.values()) {
      const definition: Record<string, ServiceDefinition[string]> = {};
      const impl: UntypedServiceImplementation = {};
      for (const route of routes) {
        definition[route.method] = {
          path: route.path,
          requestStream: false,
          responseStream: false,
          requestSerialize: bytes,
          requestDeserialize: bytes,
          responseSerialize: bytes,
          responseDeserialize: bytes,
        };
        impl[route.method] = (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => {
          void this.handle(route, call, cb);
        };
      }
      this.server.addService(definition as ServiceDefinition, impl);
    }
    // integrators can `grpcurl describe` the door: the forwarded services and their messages
    createReflectionService(
      loadProtoPackageDefinition([...new Set(FRONT_DOOR_SERVICES.map((s) => s.proto))]),
    ).addToServer(this.server);
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(
        `${this.config.host}:${String(this.config.port)}`,
        ServerCredentials.createInsecure(),
        (err, port) => (err ? reject(err) : resolve(port)),
      );
    });
    this.logger.log(`gRPC front door on ${this.config.host}:${String(this.boundPort)}`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.boundPort !== undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.server.forceShutdown();
          resolve();
        }, 5_000);
        this.server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    for (const client of this.clients.values()) client.close();
  }

  private async handle(
    route: FrontDoorRoute,
    call: ServerUnaryCall<Buffer, Buffer>,
    cb: sendUnaryData<Buffer>,
  ): Promise<void> {
    const md = call.metadata;
    const user = md.get(END_USER_HEADER)[0];
    const endUser = typeof user === 'string' ? user : undefined;
    let caller: Caller;
    let checkedAt: number;
    try {
      caller = await authenticateBearer(
        this.verifier,
        this.statuses,
        md.get('authorization')[0],
        endUser,
        this.guardOptions.statusReadyTimeoutMs,
      );
      checkedAt = Date.now();
    } catch (err) {
      const authErr =
        err instanceof AuthError
          ? err
          : new AuthError(AuthErrorCode.AuthUnavailable, 'authorisation unavailable', String(err));
      const code = authErr.kind === 'unavailable' ? status.UNAVAILABLE : status.UNAUTHENTICATED;
      await this.audit(
        route,
        'denied',
        `${status[code]}: ${authErr.code}`,
        authErr.caller,
        endUser,
      );
      return cb({ code, details: authErr.message });
    }
    // Compliance enforcement at the door itself: a restricted product version keeps its reads.
    if (caller.writesRestricted && route.write) {
      await this.audit(route, 'denied', 'PERMISSION_DENIED: WRITES_RESTRICTED', caller, endUser);
      return cb({
        code: status.PERMISSION_DENIED,
        details: 'write scopes withdrawn: the product version is under compliance enforcement',
      });
    }
    // the lifecycle rule (issue 18), the same admission the REST door's guard applies
    let admission: VouchedAdmission | void;
    try {
      admission = await this.guardOptions.admit?.(caller, {
        key: route.path,
        forwarded: true,
        message: () => route.decode(call.request),
      });
    } catch (err) {
      const corr = md.get('x-correlation-id')[0];
      return this.refuseAdmission(
        route,
        err,
        caller,
        endUser,
        cb,
        typeof corr === 'string' ? corr : randomUUID(),
      );
    }
    let retryAfter: number;
    try {
      retryAfter = await this.budget.spend(caller.systemId);
    } catch (err) {
      this.logger.error(`rate budget unavailable: ${String(err)}`);
      return cb({ code: status.UNAVAILABLE, details: 'rate limit unavailable, try again' });
    }
    if (retryAfter > 0) {
      await this.audit(route, 'rejected', 'RESOURCE_EXHAUSTED: RATE_LIMITED', caller, endUser);
      return cb(rateLimited(retryAfter));
    }
    const client = this.clientOf(route.platform);
    if (!client) {
      return cb({ code: status.UNAVAILABLE, details: `${route.platform} is not connected` });
    }
    const out = new Metadata();
    out.set('authorization', md.get('authorization')[0] as string);
    if (caller.userId) out.set(END_USER_HEADER, caller.userId);
    for (const key of FORWARDED) {
      const v = md.get(key)[0];
      if (typeof v === 'string') out.set(key, v);
    }
    out.set(DOOR_HEADER, 'grpc'); // the platform's audit says which door (scorecards count it)
    withServiceToken(out, this.identity ?? undefined);
    const accessToken = bearerToken(md.get('authorization')[0]);
    if (accessToken)
      out.set(
        VOUCH_HEADER,
        this.vouches.mint(route.platform, {
          systemId: caller.systemId,
          accessToken,
          writesRestricted: caller.writesRestricted === true,
          checkedAt,
          admission: admission ?? (caller.patient !== undefined ? 'citizen' : 'admitted'),
        }),
      );
    const ownDeadline = Date.now() + this.config.deadlineMs;
    const asked = call.getDeadline();
    const askedMs = asked instanceof Date ? asked.getTime() : Number(asked);
    const deadline = Number.isFinite(askedMs) ? Math.min(askedMs, ownDeadline) : ownDeadline;
    const upstream = client.makeUnaryRequest(
      route.path,
      bytes,
      bytes,
      call.request,
      out,
      { deadline },
      (err: ServiceError | null, res?: Buffer) => {
        if (!err) return cb(null, res);
        void this.countRefusal(route, err, caller).finally(() => cb(passedOn(err)));
      },
    );
    // a client that gives up (cancel, deadline) releases the platform call too
    call.on('cancelled', () => upstream.cancel());
  }

  /** PERMISSION_DENIED with ErrorInfo + the rule as a violation, audited as a denial. */
  private async refuseAdmission(
    route: FrontDoorRoute,
    err: unknown,
    caller: Caller,
    endUser: string | undefined,
    cb: sendUnaryData<Buffer>,
    correlationId: string,
  ): Promise<void> {
    if (!(err instanceof AuthError)) {
      this.logger.error(`admission unavailable for ${route.path}: ${String(err)}`);
      await this.audit(route, 'denied', 'UNAVAILABLE: AUTH_UNAVAILABLE', caller, endUser);
      return cb({ code: status.UNAVAILABLE, details: 'authorisation unavailable, try again' });
    }
    await this.audit(route, 'denied', `PERMISSION_DENIED: ${err.code}`, caller, endUser);
    const refusal = new DomainError(
      'gateway',
      err.code,
      'PERMISSION_DENIED',
      err.message,
      err.rule ? [{ field: 'lifecycle', rule: err.rule, message: err.message }] : [],
    );
    return cb(toGrpcError(refusal, correlationId));
  }

  /** A write the platform refused for its content is a conformance violation, as on REST. */
  private async countRefusal(route: FrontDoorRoute, err: ServiceError, caller: Caller) {
    if (!route.write) return;
    if (err.code !== status.INVALID_ARGUMENT && err.code !== status.FAILED_PRECONDITION) return;
    const decoded = decodeGrpcError(err);
    const issues = (
      decoded.fieldViolations.length > 0
        ? decoded.fieldViolations
        : [{ field: '', rule: decoded.reason ?? status[err.code], message: decoded.message }]
    ).map((v) => ({
      severity: 'error' as const,
      code: 'invalid' as const,
      rule: v.rule || decoded.reason || status[err.code] || 'grpc.refused',
      expression: v.field || route.resourceType,
      message: v.message,
    }));
    const correlation = err.metadata.get('x-correlation-id')[0];
    await this.conformance.record(
      caller,
      route.resourceType,
      route.path,
      httpStatusOfGrpc(err.code),
      issues,
      typeof correlation === 'string' ? correlation : undefined,
    );
  }

  private async audit(
    route: FrontDoorRoute,
    outcome: 'denied' | 'rejected',
    description: string,
    caller: Caller | undefined,
    endUser: string | undefined,
  ): Promise<void> {
    try {
      await this.auditor.record({
        interaction: route.path,
        action: route.action,
        outcome,
        outcomeDescription: description,
        ...(caller ? { caller } : {}),
        ...(endUser ? { userId: endUser } : {}),
        resourceType: route.resourceType,
        // the platform owns the method's scope rule; the door refused before it applied
        requiredScope: '',
      });
    } catch (err) {
      this.logger.error(`failed to record refused access for ${route.path}: ${String(err)}`);
    }
  }

  private clientOf(platform: PlatformName): Client | undefined {
    let client = this.clients.get(platform);
    const address = this.fhir.platforms[platform];
    if (!client && address) {
      client = new Client(address, credentials.createInsecure(), {
        'grpc.keepalive_time_ms': 30_000,
        'grpc.enable_channelz': 0,
        // the client decides on retries (deadline, idempotency); the door forwards once
        'grpc.enable_retries': 0,
      });
      this.clients.set(platform, client);
    }
    return client;
  }
}
