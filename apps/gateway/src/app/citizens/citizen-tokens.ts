import { createHash, randomUUID } from 'node:crypto';

import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  ACCESS_TOKEN_TYPE,
  CITIZEN_SUBJECT_PREFIX,
  PATIENT_TOKEN_SCOPES,
  scopesWithin,
  splitScopes,
} from '@trellis/auth';
import { isValidNhsNumber } from '@trellis/nhs-number';
import { CONFIG } from '@trellis/service-kit';
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';

import { GATEWAY_CONFIG, type GatewayConfig, type GatewayEnv } from '../config/gateway.config';
import { OAuthError } from '../tokens/oauth-errors';
import type { SigningKeyRing } from '../tokens/signing-keys';
import { StaffTokenExchange, type StaffTokenResponse } from './staff-tokens';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const ACCESS_TOKEN_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/** Signature algorithms accepted on citizens' ID tokens (never none or HS*). */
const ID_TOKEN_ALGORITHMS = ['ES256', 'ES384', 'RS256', 'RS384', 'RS512', 'PS256', 'PS512'];

export interface PatientTokenResponse {
  access_token: string;
  issued_token_type: typeof ACCESS_TOKEN_TOKEN_TYPE;
  token_type: 'bearer';
  expires_in: number;
  scope: string;
  /** SMART launch context: the patient the token is bound to. */
  patient: string;
}

const single = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * RFC 8693 token exchange at /oauth2/token: a citizen's ID token from the configured OpenID
 * provider (verified against its discovery document and JWKS: iss, aud = our client id, exp, age,
 * signature) for a short-lived patient token (SMART patient/ scopes, `patient` = the NHS number
 * the provider asserted). The token says nothing else: no organisation, no system scopes.
 */
@Injectable()
export class CitizenTokenExchange {
  private readonly logger = new Logger('CitizenTokenExchange');
  private keySet?: Promise<JWTVerifyGetKey>;

  constructor(
    @Inject(CONFIG) private readonly env: GatewayEnv,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Optional() private readonly staff?: StaffTokenExchange,
  ) {}

  get enabled(): boolean {
    return this.env.CITIZEN_OIDC_ISSUER !== undefined;
  }

  async exchange(
    form: Record<string, unknown>,
    keys: SigningKeyRing,
  ): Promise<PatientTokenResponse | StaffTokenResponse> {
    const issuer = this.env.CITIZEN_OIDC_ISSUER;
    if (!issuer) throw new OAuthError('unsupported_grant_type', 'citizen access not configured');
    const subjectToken = single(form['subject_token']);
    if (!subjectToken || single(form['subject_token_type']) !== ID_TOKEN_TYPE)
      throw new OAuthError(
        'invalid_request',
        'subject_token (an ID token) and subject_token_type id_token are required',
      );
    const requestedType = form['requested_token_type'];
    if (requestedType !== undefined && requestedType !== ACCESS_TOKEN_TOKEN_TYPE)
      throw new OAuthError('invalid_request', 'only access tokens are issued');
    const scopeParam = form['scope'];
    if (scopeParam !== undefined && single(scopeParam) === undefined)
      throw new OAuthError('invalid_request', 'scope repeated');

    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(subjectToken, await this.keys(issuer), {
        issuer,
        audience: this.env.CITIZEN_OIDC_CLIENT_ID,
        algorithms: ID_TOKEN_ALGORITHMS,
        requiredClaims: ['exp', 'iat', 'sub'],
        maxTokenAge: this.env.CITIZEN_ID_TOKEN_MAX_AGE_SECONDS,
        clockTolerance: 5,
      }));
    } catch (err) {
      throw new OAuthError('invalid_grant', `ID token refused: ${String(err)}`.slice(0, 200));
    }
    const nhs = claims['nhs_number'];
    // a professional (no NHS number) the staff directory knows: a session token of their system
    const member = nhs === undefined ? this.staff?.member(String(claims['sub'])) : undefined;
    if (member && this.staff)
      return this.staff.issue(
        member,
        scopeParam === undefined ? undefined : splitScopes(single(scopeParam)),
        keys,
      );
    const requested =
      scopeParam === undefined ? [...PATIENT_TOKEN_SCOPES] : splitScopes(single(scopeParam));
    if (requested.length === 0 || !scopesWithin(requested, [...PATIENT_TOKEN_SCOPES]))
      throw new OAuthError('invalid_scope', 'a patient token carries patient/ scopes only');
    if (typeof nhs !== 'string' || !isValidNhsNumber(nhs))
      throw new OAuthError('invalid_grant', 'ID token has no valid nhs_number');
    const proofing = this.env.CITIZEN_REQUIRED_PROOFING_LEVEL;
    if (proofing && claims['identity_proofing_level'] !== proofing)
      throw new OAuthError('invalid_grant', `identity proofing level below ${proofing}`);
    const idpSub = String(claims['sub']);
    const sub = `${CITIZEN_SUBJECT_PREFIX}${
      /^[\x21-\x7e]{1,100}$/.test(idpSub)
        ? idpSub
        : createHash('sha256').update(idpSub).digest('base64url')
    }`;
    const now = Math.floor(Date.now() / 1000);
    const ttl = this.env.CITIZEN_TOKEN_TTL_SECONDS;
    const key = keys.current;
    const scope = requested.join(' ');
    const accessToken = await new SignJWT({ client_id: sub, scope, patient: nhs })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.config.publicUrl)
      .setAudience(this.config.audience)
      .setSubject(sub)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .sign(key.privateKey);
    this.logger.log(`patient token issued for ${sub}`);
    return {
      access_token: accessToken,
      issued_token_type: ACCESS_TOKEN_TOKEN_TYPE,
      token_type: 'bearer',
      expires_in: ttl,
      scope,
      patient: nhs,
    };
  }

  /** The provider's JWKS, found through its discovery document (fetched once, then cached). */
  private keys(issuer: string): Promise<JWTVerifyGetKey> {
    this.keySet ??= (async () => {
      const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (!res.ok) throw new Error(`discovery ${url}: ${res.status}`);
      const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
      if (doc.issuer !== issuer || typeof doc.jwks_uri !== 'string')
        throw new Error(`discovery ${url}: issuer mismatch or no jwks_uri`);
      return createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: 3000 });
    })().catch((err: unknown) => {
      this.keySet = undefined; // try again on the next exchange
      throw new OAuthError('temporarily_unavailable', `identity provider: ${String(err)}`);
    });
    return this.keySet;
  }
}
