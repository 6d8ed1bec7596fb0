import type { Resource } from '@medplum/fhirtypes';
import { SERVICE_TOKEN_HEADER } from '@trellis/auth';

/** What reading a notification's focus as the subscriber gave. */
export type FocusRead =
  /** The FHIR door answered 200: the resource as the subscriber's own read returns it. */
  | { kind: 'resource'; resource: Resource }
  /** The door refused the read (403/404/410): the notification goes without the resource. */
  | { kind: 'refused'; status: number }
  /** The read could not be made now (token refused, door down, 5xx): the delivery is retried. */
  | { kind: 'failed'; problem: string };

export interface FocusReader {
  read(systemId: string, scopes: readonly string[], focus: string): Promise<FocusRead>;
}

const TOKEN_PATH = '/internal/notifications/delivery-token';
/** A cached delivery token is renewed this long before it expires. */
const RENEW_BEFORE_MS = 30_000;

/**
 * Reads a `full-resource` notification's focus at the gateway's FHIR door as the subscriber
 * (issue 21): a short-lived read token of that system, asked of the gateway with this service's
 * token (only the read part of the system's allowed scopes), then
 * `GET <gateway>/fhir/<focus>` — so the scope, visibility, restricted-record, mapping and audit
 * rules are the FHIR read's own, and each delivered resource is one audited read of the system
 * whose end user is the token's actor (`act.sub` = notifications).
 */
export class GatewayFocusReader implements FocusReader {
  private readonly tokens = new Map<string, { token: string; until: number }>();
  private readonly base: string;

  constructor(
    gatewayUrl: string,
    private readonly serviceToken: () => string,
    private readonly timeoutMs = 10_000,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.base = gatewayUrl.replace(/\/+$/, '');
  }

  async read(systemId: string, scopes: readonly string[], focus: string): Promise<FocusRead> {
    const token = await this.token(systemId, scopes);
    if (typeof token !== 'string') return token;
    try {
      const res = await this.fetchImpl(`${this.base}/fhir/${focus}`, {
        headers: {
          accept: 'application/fhir+json',
          authorization: `Bearer ${token}`,
        },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (res.status === 200) return { kind: 'resource', resource: (await res.json()) as Resource };
      await res.body?.cancel().catch(() => undefined);
      if (res.status === 401) this.tokens.delete(key(systemId, scopes));
      if (res.status === 403 || res.status === 404 || res.status === 410)
        return { kind: 'refused', status: res.status };
      return { kind: 'failed', problem: `focus read answered ${String(res.status)}` };
    } catch (err) {
      return { kind: 'failed', problem: `focus read failed: ${messageOf(err)}` };
    }
  }

  private async token(
    systemId: string,
    scopes: readonly string[],
  ): Promise<string | Extract<FocusRead, { kind: 'failed' }>> {
    const k = key(systemId, scopes);
    const held = this.tokens.get(k);
    if (held && held.until > Date.now()) return held.token;
    try {
      const res = await this.fetchImpl(`${this.base}${TOKEN_PATH}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          [SERVICE_TOKEN_HEADER]: this.serviceToken(),
        },
        body: new URLSearchParams({ system_id: systemId, scope: scopes.join(' ') }).toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const body = (await res.json().catch(() => ({}))) as {
        access_token?: string;
        expires_in?: number;
        error?: string;
      };
      if (res.status !== 200 || !body.access_token)
        return {
          kind: 'failed',
          problem: `delivery token refused: ${String(res.status)} ${body.error ?? ''}`.trim(),
        };
      const until = Date.now() + (body.expires_in ?? 60) * 1000 - RENEW_BEFORE_MS;
      if (this.tokens.size > 10_000) this.tokens.clear();
      this.tokens.set(k, { token: body.access_token, until });
      return body.access_token;
    } catch (err) {
      return { kind: 'failed', problem: `delivery token request failed: ${messageOf(err)}` };
    }
  }
}

const key = (systemId: string, scopes: readonly string[]) => `${systemId} ${scopes.join(' ')}`;

function messageOf(err: unknown): string {
  return err instanceof Error
    ? err.cause instanceof Error
      ? err.cause.message
      : err.message
    : String(err);
}
