import { randomUUID } from 'node:crypto';

import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import {
  ACCESS_TOKEN_TYPE,
  ALLOWED_ALGORITHMS,
  isValidScope,
  parseScope,
  PATIENT_TOKEN_SCOPES,
  scopesWithin,
  splitScopes,
  TRELLIS_SCOPES,
} from '@trellis/auth';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';

import {
  CitizenTokenExchange,
  TOKEN_EXCHANGE_GRANT,
  type PatientTokenResponse,
} from '../citizens/citizen-tokens';
import { certificateGate } from '../certification/certificate-gate';
import { CertificatesRepository } from '../certification/certificates.repository';
import { GATEWAY_CONFIG, tokenEndpointUrl, type GatewayConfig } from '../config/gateway.config';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { SystemsRepository, type SystemRow } from '../systems/systems.repository';
import { OAuthError, RateLimitedError } from './oauth-errors';
import { SigningKeyRing } from './signing-keys';
import { TokensRepository } from './tokens.repository';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const SIGNING_KEY_RING = Symbol('SIGNING_KEY_RING');
const CLOCK_SKEW_SECONDS = 5;
/** Lifetime of a delivery token (the notifications service renews it before each use expires). */
const DELIVERY_TOKEN_TTL_SECONDS = 300;

/** A resource scope granting only r and/or s, or trellis/restricted.read. */
function readsOnly(token: string): boolean {
  if (token === TRELLIS_SCOPES.restrictedRead) return true;
  const p = parseScope(token);
  return (
    p?.kind === 'resource' && !p.query && [...p.permissions].every((l) => l === 'r' || l === 's')
  );
}

export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  scope: string;
}

/**
 * OAuth2 client credentials with private_key_jwt (SMART Backend Services / NHS signed JWT):
 * every refusal is an OAuthError with an RFC 6749 code and a log-only reason.
 */
@Injectable()
export class TokensService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('TokensService');
  private readonly remoteKeySets = new Map<string, JWTVerifyGetKey>();
  private purgeTimer: NodeJS.Timeout | undefined;
  readonly tokenUrl: string;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(SIGNING_KEY_RING) private readonly keys: SigningKeyRing,
    private readonly systems: SystemsRepository,
    private readonly jtis: TokensRepository,
    private readonly rateLimiter: RateLimiter,
    private readonly certificates: CertificatesRepository,
    @Optional() private readonly citizens?: CitizenTokenExchange,
  ) {
    this.tokenUrl = tokenEndpointUrl(config);
  }

  onModuleInit(): void {
    this.purgeTimer = setInterval(() => {
      this.jtis
        .purgeExpired(new Date(Date.now() - 60_000))
        .catch((e: unknown) => this.logger.warn(`jti purge failed: ${String(e)}`));
    }, 60_000);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
  }

  async issue(form: Record<string, unknown>): Promise<TokenResponse | PatientTokenResponse> {
    const grantType = single(form['grant_type']);
    if (grantType === undefined)
      throw new OAuthError('invalid_request', 'grant_type missing or repeated');
    // a citizen's ID token for a patient token (RFC 8693), when citizen access is configured
    if (grantType === TOKEN_EXCHANGE_GRANT && this.citizens?.enabled)
      return this.citizens.exchange(form, this.keys);
    if (grantType !== 'client_credentials')
      throw new OAuthError('unsupported_grant_type', `grant_type ${grantType.slice(0, 40)}`);
    const assertionType = single(form['client_assertion_type']);
    const assertion = single(form['client_assertion']);
    const scopeParam = single(form['scope']);
    if (assertionType !== CLIENT_ASSERTION_TYPE || !assertion || scopeParam === undefined) {
      throw new OAuthError(
        'invalid_request',
        'client_assertion_type, client_assertion and scope are required once each',
      );
    }
    if (form['client_secret'] !== undefined)
      throw new OAuthError('invalid_request', 'client_secret not supported');

    const system = await this.authenticateClient(assertion, single(form['client_id']));

    const requested = splitScopes(scopeParam);
    if (requested.length === 0 || !requested.every(isValidScope))
      throw new OAuthError('invalid_scope', 'empty or malformed scope');
    if (!scopesWithin(requested, system.allowedScopes))
      throw new OAuthError('invalid_scope', 'scope beyond the allowed scopes');
    // issue 17: a production system's role scopes need its product version's certificate
    const gate = await certificateGate(this.certificates, system, requested);
    if (!gate.ok) throw new OAuthError('invalid_scope', gate.description, gate.description);

    return this.sign(system, requested, this.config.accessTokenTtlSeconds, gate.certificateId);
  }

  /**
   * A short-lived read token for a subscriber system, asked by the notifications service (its
   * service token) to read a `full-resource` notification's focus at the FHIR door as that system
   * (docs/subscriptions.md): the system must be active and allowed the scopes, which may only
   * read (`r`/`s`, trellis/restricted.read); the certificate gate applies as for any token. The
   * token names the actor (`act.sub` = the service).
   */
  async issueDeliveryToken(
    systemId: string,
    scopeParam: string,
    actor: string,
  ): Promise<TokenResponse> {
    const system = await this.systems.find(systemId);
    if (!system) throw new OAuthError('invalid_request', `unknown system ${systemId.slice(0, 64)}`);
    if (system.status !== 'active')
      throw new OAuthError('invalid_grant', `system ${system.id} suspended`, 'system suspended');
    const requested = splitScopes(scopeParam);
    if (requested.length === 0 || !requested.every((s) => isValidScope(s) && readsOnly(s)))
      throw new OAuthError('invalid_scope', 'empty, malformed or not read-only scope');
    if (!scopesWithin(requested, system.allowedScopes))
      throw new OAuthError('invalid_scope', 'scope beyond the allowed scopes');
    const gate = await certificateGate(this.certificates, system, requested);
    if (!gate.ok) throw new OAuthError('invalid_scope', gate.description, gate.description);
    const ttl = Math.min(this.config.accessTokenTtlSeconds, DELIVERY_TOKEN_TTL_SECONDS);
    return this.sign(system, requested, ttl, gate.certificateId, { act: { sub: actor } });
  }

  private async sign(
    system: SystemRow,
    requested: readonly string[],
    ttl: number,
    certificateId: string | undefined,
    extra: Record<string, unknown> = {},
  ): Promise<TokenResponse> {
    const now = Math.floor(Date.now() / 1000);
    const key = this.keys.current;
    const scope = requested.join(' ');
    const accessToken = await new SignJWT({
      client_id: system.id,
      scope,
      ods_code: system.odsCode,
      region: system.region,
      product_version: system.productVersionId,
      ...(certificateId ? { certificate: certificateId } : {}),
      ...extra,
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.config.publicUrl)
      .setAudience(this.config.audience)
      .setSubject(system.id)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .sign(key.privateKey);
    return { access_token: accessToken, token_type: 'bearer', expires_in: ttl, scope };
  }

  /** Verifies the client assertion and returns the active system it authenticates. */
  private async authenticateClient(
    assertion: string,
    clientIdParam: string | undefined,
  ): Promise<SystemRow> {
    let iss: unknown;
    let alg: unknown;
    let kid: unknown;
    try {
      ({ alg, kid } = decodeProtectedHeader(assertion));
      iss = decodeJwt(assertion).iss;
    } catch {
      throw new OAuthError('invalid_client', 'assertion is not a JWT');
    }
    if (typeof alg !== 'string' || !(ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new OAuthError('invalid_client', `assertion alg ${String(alg)} not allowed`);
    }
    // SMART Backend Services: the header names the signing key (no trying every registered key)
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > 255)
      throw new OAuthError('invalid_client', 'assertion kid missing');
    if (typeof iss !== 'string' || iss.length === 0 || iss.length > 100)
      throw new OAuthError('invalid_client', 'assertion iss missing');
    if (clientIdParam !== undefined && clientIdParam !== iss)
      throw new OAuthError('invalid_client', 'client_id differs from iss');

    const system = await this.systems.find(iss);
    if (!system) throw new OAuthError('invalid_client', `unknown client ${iss}`);
    if (system.status !== 'active')
      throw new OAuthError('invalid_client', `client ${iss} suspended`);

    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, this.keySetOf(system), {
        algorithms: [...ALLOWED_ALGORITHMS],
        issuer: system.id,
        subject: system.id,
        audience: this.tokenUrl,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp', 'jti', 'iss', 'sub', 'aud'],
      }));
    } catch (err) {
      throw new OAuthError(
        'invalid_client',
        `assertion verification failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const aud = payload.aud;
    if (!(
      aud === this.tokenUrl ||
      (Array.isArray(aud) && aud.length === 1 && aud[0] === this.tokenUrl)
    )) {
      throw new OAuthError('invalid_client', 'aud is not exactly the token URL');
    }
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.iat === 'number' && payload.iat > now + CLOCK_SKEW_SECONDS) {
      throw new OAuthError('invalid_client', 'assertion iat in the future');
    }
    const exp = payload.exp as number;
    if (exp > now + this.config.assertionMaxLifetimeSeconds + CLOCK_SKEW_SECONDS) {
      throw new OAuthError('invalid_client', 'assertion exp more than 5 minutes ahead');
    }
    const jti = payload.jti as string;
    if (jti.length === 0 || jti.length > 255) throw new OAuthError('invalid_client', 'bad jti');

    // Rate limit before the replay write: a flood costs one UPSERT, not a jti row each.
    const decision = await this.rateLimiter.hitNow(
      `token:${system.id}`,
      system.rateLimitPerWindow ?? this.config.rateLimitPerWindow,
    );
    if (!decision.allowed) throw new RateLimitedError(decision.retryAfterSeconds);

    if (
      !(await this.jtis.rememberJti(system.id, jti, new Date((exp + CLOCK_SKEW_SECONDS) * 1000)))
    ) {
      throw new OAuthError('invalid_client', 'assertion jti replayed');
    }
    return system;
  }

  private keySetOf(system: SystemRow): JWTVerifyGetKey {
    if (system.jwksUrl) {
      let ks = this.remoteKeySets.get(system.jwksUrl);
      if (!ks) {
        ks = createRemoteJWKSet(new URL(system.jwksUrl), {
          cacheMaxAge: 5 * 60_000,
          cooldownDuration: 30_000,
          timeoutDuration: 3_000,
        });
        this.remoteKeySets.set(system.jwksUrl, ks);
      }
      return ks;
    }
    return createLocalJWKSet(system.jwks as unknown as JSONWebKeySet);
  }

  /** SMART configuration document (/.well-known/smart-configuration). */
  smartConfiguration(): Record<string, unknown> {
    return {
      issuer: this.config.publicUrl,
      jwks_uri: `${this.config.publicUrl}/.well-known/jwks.json`,
      token_endpoint: this.tokenUrl,
      grant_types_supported: [
        'client_credentials',
        ...(this.citizens?.enabled ? [TOKEN_EXCHANGE_GRANT] : []),
      ],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: [...ALLOWED_ALGORITHMS],
      scopes_supported: [
        'system/*.cruds',
        'system/Patient.rs',
        TRELLIS_SCOPES.restrictedRead,
        TRELLIS_SCOPES.admin,
        TRELLIS_SCOPES.identityAdmin,
        ...(this.citizens?.enabled ? PATIENT_TOKEN_SCOPES : []),
      ],
      capabilities: ['client-confidential-asymmetric', 'permission-v2'],
    };
  }

  jwks(): Record<string, unknown> {
    return this.keys.jwks();
  }
}

/** A form field given exactly once as a string. */
function single(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
