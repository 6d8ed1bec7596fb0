import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

import { Inject, Injectable, Logger } from '@nestjs/common';
import { ACCESS_TOKEN_TYPE, isValidScope, scopesWithin } from '@trellis/auth';
import { CONFIG } from '@trellis/service-kit';
import { SignJWT } from 'jose';
import { z } from 'zod';

import { GATEWAY_CONFIG, type GatewayConfig, type GatewayEnv } from '../config/gateway.config';
import { SystemsRepository } from '../systems/systems.repository';
import { OAuthError } from '../tokens/oauth-errors';
import type { SigningKeyRing } from '../tokens/signing-keys';

/** The kinds of professional who sign in to the console. */
export const STAFF_ROLES = ['operator', 'regional', 'supplier'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** One professional: their provider subject, their role and the connected system they act as. */
const staffSchema = z.object({
  sub: z.string().regex(/^[\x21-\x7e]{1,100}$/),
  role: z.enum(STAFF_ROLES),
  systemId: z.string().min(1).max(128),
});
export type StaffMember = z.output<typeof staffSchema>;

export interface StaffTokenResponse {
  access_token: string;
  issued_token_type: 'urn:ietf:params:oauth:token-type:access_token';
  token_type: 'bearer';
  expires_in: number;
  scope: string;
  /** Who the console shows as signed in, and as what. */
  user: string;
  role: StaffRole;
  system: string;
  region: string;
}

/** Reads the directory file (sub → role + system); other members of its entries are ignored. */
export function loadStaffDirectory(file: string | undefined): Map<string, StaffMember> {
  const bySub = new Map<string, StaffMember>();
  if (!file || !existsSync(file)) return bySub;
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  for (const m of z.array(staffSchema).parse(raw)) bySub.set(m.sub, m);
  return bySub;
}

/**
 * A professional's session (issue 20): their verified ID token (no NHS number; a subject the staff
 * directory binds to a connected system) is exchanged for an access token OF THAT SYSTEM — same
 * scopes (or the requested subset), organisation, region and product version, so suspension, rate
 * budget, audit and every scope rule apply as to the system — naming the user in `act.sub`
 * (RFC 8693), which libs/auth makes the call's end user. The directory is read at each exchange
 * (a removed user loses access at once); a suspended system's users get no token.
 */
@Injectable()
export class StaffTokenExchange {
  private readonly logger = new Logger('StaffTokenExchange');

  constructor(
    @Inject(CONFIG) private readonly env: GatewayEnv,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly systems: SystemsRepository,
  ) {}

  member(sub: string): StaffMember | undefined {
    return loadStaffDirectory(this.env.STAFF_DIRECTORY_FILE).get(sub);
  }

  async issue(
    member: StaffMember,
    scopeParam: string[] | undefined,
    keys: SigningKeyRing,
  ): Promise<StaffTokenResponse> {
    const system = await this.systems.find(member.systemId);
    if (!system || system.status !== 'active')
      throw new OAuthError('invalid_grant', `system of ${member.sub} missing or suspended`);
    const requested = scopeParam ?? [...system.allowedScopes];
    if (
      requested.length === 0 ||
      !requested.every(isValidScope) ||
      !scopesWithin(requested, system.allowedScopes)
    )
      throw new OAuthError('invalid_scope', "scope beyond the user's system");
    const now = Math.floor(Date.now() / 1000);
    const ttl = this.config.accessTokenTtlSeconds;
    const key = keys.current;
    const scope = requested.join(' ');
    const user = `staff:${member.sub}`;
    const accessToken = await new SignJWT({
      client_id: system.id,
      scope,
      ods_code: system.odsCode,
      region: system.region,
      product_version: system.productVersionId,
      act: { sub: user },
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.config.publicUrl)
      .setAudience(this.config.audience)
      .setSubject(system.id)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .sign(key.privateKey);
    this.logger.log(`session token issued for ${user} as ${system.id}`);
    return {
      access_token: accessToken,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'bearer',
      expires_in: ttl,
      scope,
      user,
      role: member.role,
      system: system.id,
      region: system.region,
    };
  }
}
