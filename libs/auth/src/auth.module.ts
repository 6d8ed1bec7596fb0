import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  Optional,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { type JWTVerifyGetKey } from 'jose';

import { AccessAuditInterceptor } from './access-audit.interceptor';
import { type AccessAuditor } from './access-auditor';
import {
  AUTH_AUDITOR,
  AUTH_GUARD_OPTIONS,
  AUTH_SCOPE_TABLE,
  AUTH_STATUS_REGISTRY,
  AUTH_SUSPENSION_CHECK,
  AUTH_VERIFIER,
  DEFAULT_PUBLIC_KEYS,
  TrellisAuthGuard,
  type AuthGuardOptions,
  type CallAdmission,
} from './auth.guard';
import { type ScopeTable } from './scope-table';
import { type ServiceIdentity } from './service-identity';
import { backoffDelay, sleep } from '@trellis/events';
import { HealthRegistry } from '@trellis/service-kit';

import { GatewayVouchVerifier } from './gateway-vouch';
import {
  SuspensionCheck,
  suspensionFeedCheck,
  type SystemStatusFallback,
} from './suspension-check';
import { SystemStatusRegistry, type SystemStatusFeed } from './system-status';
import { AccessTokenVerifier } from './token-verifier';
import { type VerifiedTokenCacheOptions } from './verified-token-cache';

export interface TrellisAuthOptions {
  /** Service name (audit source, consumer-group prefix). */
  service: string;
  /** The service's one scope table. */
  scopeTable: ScopeTable;
  /** Expected `iss` of access tokens: the gateway's public base URL. */
  issuer: string;
  /** Expected `aud` (default urn:trellis:platform). */
  audience?: string;
  /** The gateway JWKS (`<gateway>/.well-known/jwks.json`). */
  jwksUrl?: string;
  /** Local key set instead of jwksUrl (tests, the gateway itself). */
  keySet?: JWTVerifyGetKey;
  /** Suspension feed: `createSystemStatusFeed(...)` in services, `StaticSystemStatusFeed` in unit tests. */
  statusFeed: SystemStatusFeed;
  /**
   * Where suspensions are read while the feed is down or behind (the gateway: its database). Without
   * one, calls are refused UNAVAILABLE until the feed has replayed (fail closed).
   */
  statusFallback?: SystemStatusFallback;
  /** Access auditor writing through the service's outbox (`createAccessAuditor`). */
  auditor?: AccessAuditor;
  /** Extra public keys (besides health/reflection and `{ public: true }` rules). */
  publicKeys?: readonly string[];
  /** How long calls wait for the initial status replay before UNAVAILABLE (default 10 s). */
  statusReadyTimeoutMs?: number;
  /** Verified-token cache (default 10,000 entries, 60 s; `false` = verify every call). */
  tokenCache?: VerifiedTokenCacheOptions | false;
  /** This service's identity (`loadServiceIdentity`): signs its outgoing calls, verifies peers'. */
  serviceIdentity?: ServiceIdentity;
  /**
   * Platforms: `true` refuses protected calls without a valid service token (UNAUTHENTICATED "call
   * through the gateway"); only the gateway and peer services hold the key. Needs serviceIdentity.
   */
  requireServiceIdentity?: boolean;
  /** A further admission rule of the service (see AuthGuardOptions.admit). */
  admit?: CallAdmission;
}

/** The service's ServiceIdentity (undefined when none was configured). */
export const SERVICE_IDENTITY = Symbol('TRELLIS_SERVICE_IDENTITY');

export const AUTH_OPTIONS = Symbol('TRELLIS_AUTH_OPTIONS');

/**
 * Starts the suspension feed after boot and keeps retrying (backoff 0.5–30 s) while Kafka is
 * unreachable, so a service that booted without Kafka follows suspensions once it is back.
 */
@Injectable()
class StatusFeedLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TrellisAuth');
  private readonly stopping = new AbortController();
  private running: Promise<void> = Promise.resolve();

  constructor(
    @Inject(AUTH_OPTIONS) private readonly options: TrellisAuthOptions,
    @Inject(AUTH_STATUS_REGISTRY) private readonly registry: SystemStatusRegistry,
    @Inject(AUTH_SUSPENSION_CHECK) private readonly check: SuspensionCheck,
    @Optional() private readonly health?: HealthRegistry,
  ) {}

  onApplicationBootstrap(): void {
    // the gateway registers its own (its fallback answers meanwhile); readiness stays 200 degraded
    if (!this.options.statusFallback)
      this.health?.register(
        'suspension-feed',
        suspensionFeedCheck(this.check, { vouched: this.options.requireServiceIdentity === true }),
        { critical: false },
      );
    // Not awaited: the group join takes seconds; calls wait for readiness (fail closed) meanwhile.
    this.running = this.keepStarting();
  }

  private async keepStarting(): Promise<void> {
    for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
      try {
        await this.options.statusFeed.start(this.registry);
        this.check.setFeedState('live');
        if (attempt > 1) this.logger.log(`system status feed started (attempt ${attempt})`);
        return;
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        this.check.setFeedState('down', error);
        this.logger.error(`system status feed failed to start (attempt ${attempt}): ${error}`);
      }
      await sleep(backoffDelay(attempt, { initialMs: 500, maxMs: 30_000 }), this.stopping.signal);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.running;
    await this.options.statusFeed.stop();
  }
}

export interface TrellisAuthAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: InjectionToken[];
  useFactory: (...args: never[]) => TrellisAuthOptions | Promise<TrellisAuthOptions>;
}

/**
 * Registers the global guard + audit interceptor for HTTP and gRPC. NOTE for hybrid apps: gRPC
 * handlers only get APP_GUARD/APP_INTERCEPTOR when the microservice is connected with
 * `{ inheritAppConfig: true }` (the @trellis/service-kit bootstrap does this).
 */
@Global()
@Module({})
export class TrellisAuthModule {
  static forRoot(options: TrellisAuthOptions): DynamicModule {
    return TrellisAuthModule.build([{ provide: AUTH_OPTIONS, useValue: options }], []);
  }

  static forRootAsync(options: TrellisAuthAsyncOptions): DynamicModule {
    return TrellisAuthModule.build(
      [{ provide: AUTH_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }],
      options.imports ?? [],
    );
  }

  private static build(
    optionProviders: Provider[],
    imports: NonNullable<ModuleMetadata['imports']>,
  ): DynamicModule {
    const providers: Provider[] = [
      ...optionProviders,
      {
        provide: AUTH_SCOPE_TABLE,
        useFactory: (o: TrellisAuthOptions) => o.scopeTable,
        inject: [AUTH_OPTIONS],
      },
      {
        provide: AUTH_VERIFIER,
        useFactory: (o: TrellisAuthOptions) =>
          new AccessTokenVerifier({
            issuer: o.issuer,
            ...(o.audience ? { audience: o.audience } : {}),
            ...(o.jwksUrl ? { jwksUrl: o.jwksUrl } : {}),
            ...(o.keySet ? { keySet: o.keySet } : {}),
            ...(o.tokenCache !== undefined ? { cache: o.tokenCache } : {}),
          }),
        inject: [AUTH_OPTIONS],
      },
      { provide: AUTH_STATUS_REGISTRY, useFactory: () => new SystemStatusRegistry() },
      {
        provide: AUTH_SUSPENSION_CHECK,
        useFactory: (o: TrellisAuthOptions, registry: SystemStatusRegistry) =>
          new SuspensionCheck(registry, o.statusFallback),
        inject: [AUTH_OPTIONS, AUTH_STATUS_REGISTRY],
      },
      {
        provide: AUTH_AUDITOR,
        useFactory: (o: TrellisAuthOptions) => o.auditor ?? null,
        inject: [AUTH_OPTIONS],
      },
      {
        provide: AUTH_GUARD_OPTIONS,
        useFactory: (o: TrellisAuthOptions, verifier: AccessTokenVerifier): AuthGuardOptions => {
          if (o.requireServiceIdentity && !o.serviceIdentity)
            throw new Error(`${o.service}: requireServiceIdentity needs serviceIdentity`);
          return {
            publicKeys: [...DEFAULT_PUBLIC_KEYS, ...(o.publicKeys ?? [])],
            statusReadyTimeoutMs: o.statusReadyTimeoutMs ?? 10_000,
            ...(o.requireServiceIdentity && o.serviceIdentity
              ? { requireServiceIdentity: o.serviceIdentity }
              : {}),
            ...(o.admit ? { admit: o.admit } : {}),
            // platforms: the gateway's vouch stands in for the feed until it has replayed
            ...(o.requireServiceIdentity && !o.statusFallback
              ? {
                  vouchVerifier: new GatewayVouchVerifier({
                    service: o.service,
                    issuer: o.issuer,
                    keySet: verifier.keys,
                  }),
                }
              : {}),
          };
        },
        inject: [AUTH_OPTIONS, AUTH_VERIFIER],
      },
      {
        provide: SERVICE_IDENTITY,
        useFactory: (o: TrellisAuthOptions) => o.serviceIdentity ?? null,
        inject: [AUTH_OPTIONS],
      },
      StatusFeedLifecycle,
      TrellisAuthGuard,
      AccessAuditInterceptor,
      { provide: APP_GUARD, useExisting: TrellisAuthGuard },
      { provide: APP_INTERCEPTOR, useExisting: AccessAuditInterceptor },
    ];
    return {
      module: TrellisAuthModule,
      imports,
      providers,
      exports: [
        AUTH_OPTIONS,
        AUTH_VERIFIER,
        AUTH_STATUS_REGISTRY,
        AUTH_SUSPENSION_CHECK,
        AUTH_AUDITOR,
        AUTH_SCOPE_TABLE,
        AUTH_GUARD_OPTIONS,
        SERVICE_IDENTITY,
      ],
    };
  }
}
