// A citizen's sign-in driven by a plain HTTP client, as a citizen app would: OpenID Connect
// authorization code flow with PKCE (S256) at the provider — its real login and consent pages —,
// the code exchanged for an ID token, and that ID token exchanged at the gateway (RFC 8693) for a
// short-lived patient token.
import { createHash, randomBytes } from 'node:crypto';

/** A tiny cookie jar: name → value (the provider scopes its cookies by path; names differ). */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

async function step(jar: Jar, url: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, {
    ...init,
    redirect: 'manual',
    headers: { ...(init.headers as Record<string, string>), cookie: jar.header() },
  });
  jar.take(res);
  return res;
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

export interface CitizenSession {
  idToken: string;
  /** The gateway's patient token and what it says. */
  accessToken: string;
  patient: string;
  scope: string;
  expiresIn: number;
  /** The pages the provider showed (for assertions). */
  pages: string[];
}

/**
 * Signs in at `issuer` as (email, password) with the public client `clientId`, returns the ID
 * token, then exchanges it at the gateway's token endpoint.
 */
export async function citizenSignIn(options: {
  issuer: string;
  clientId: string;
  redirectUri: string;
  email: string;
  password: string;
  tokenUrl: string;
}): Promise<CitizenSession> {
  const jar = new Jar();
  const pages: string[] = [];
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const discovery = (await (
    await fetch(`${options.issuer}/.well-known/openid-configuration`)
  ).json()) as { authorization_endpoint: string; token_endpoint: string };
  const authorize = new URL(discovery.authorization_endpoint);
  for (const [k, v] of Object.entries({
    client_id: options.clientId,
    response_type: 'code',
    scope: 'openid profile nhs_number',
    redirect_uri: options.redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    nonce,
  }))
    authorize.searchParams.set(k, v);

  let res = await step(jar, authorize.toString());
  let code: string | undefined;
  for (let hops = 0; hops < 12 && !code; hops++) {
    if (res.status >= 300 && res.status < 400) {
      const location = new URL(res.headers.get('location')!, options.issuer);
      if (location.toString().startsWith(options.redirectUri)) {
        if (location.searchParams.get('state') !== state) throw new Error('state mismatch');
        code = location.searchParams.get('code') ?? undefined;
        if (!code) throw new Error(`no code: ${location.search}`);
        break;
      }
      res = await step(jar, location.toString());
      continue;
    }
    const html = await res.text();
    pages.push(html);
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`provider page without a form (${res.status}): ${html}`);
    const url = new URL(action.replace(/&amp;/g, '&'), options.issuer).toString();
    res = action.endsWith('/login')
      ? await step(jar, url, form({ email: options.email, password: options.password }))
      : await step(jar, url, form({}));
  }
  if (!code) throw new Error('the provider never redirected back with a code');

  const tokens = (await (
    await fetch(discovery.token_endpoint, {
      ...form({
        grant_type: 'authorization_code',
        code,
        redirect_uri: options.redirectUri,
        client_id: options.clientId,
        code_verifier: verifier,
      }),
    })
  ).json()) as { id_token?: string; error?: string };
  if (!tokens.id_token) throw new Error(`code exchange failed: ${JSON.stringify(tokens)}`);

  const exchanged = await fetch(options.tokenUrl, {
    ...form({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: tokens.id_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
    }),
  });
  const body = (await exchanged.json()) as {
    access_token?: string;
    patient?: string;
    scope?: string;
    expires_in?: number;
  };
  if (exchanged.status !== 200 || !body.access_token)
    throw new Error(`token exchange failed: ${exchanged.status} ${JSON.stringify(body)}`);
  return {
    idToken: tokens.id_token,
    accessToken: body.access_token,
    patient: body.patient!,
    scope: body.scope!,
    expiresIn: body.expires_in!,
    pages,
  };
}
