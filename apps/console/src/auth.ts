// OpenID Connect sign-in in the browser: authorization code + PKCE (S256) at the provider, then the
// gateway's RFC 8693 token exchange of the ID token for a platform access token. The console is a
// public client: it holds no private key and no secret, only the short-lived tokens of this tab.

export interface ConsoleConfig {
  issuer: string;
  clientId: string;
}

export type Role = 'citizen' | 'operator' | 'regional' | 'supplier';

export interface Session {
  accessToken: string;
  expiresAt: number;
  role: Role;
  name: string;
  /** Citizen: their NHS number. */
  patient?: string;
  /** Professional: the connected system the session acts as, and its region. */
  system?: string;
  region?: string;
  /** Professional: the product version of that system (the access token's claim). */
  productVersion?: string;
  scopes: string[];
}

const SESSION_KEY = 'trellis.session';
const PENDING_KEY = 'trellis.pending';

const b64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const random = (n = 32): string => b64url(crypto.getRandomValues(new Uint8Array(n)));

async function discovery(
  issuer: string,
): Promise<{ authorization_endpoint: string; token_endpoint: string }> {
  const res = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`identity provider discovery failed (${res.status})`);
  return (await res.json()) as { authorization_endpoint: string; token_endpoint: string };
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const res = await fetch('/console-config.json');
  if (!res.ok) throw new Error('console configuration missing');
  return (await res.json()) as ConsoleConfig;
}

const redirectUri = (): string => `${window.location.origin}/callback`;

/** Leaves for the provider's sign-in page. */
export async function signIn(config: ConsoleConfig, returnTo: string): Promise<void> {
  const { authorization_endpoint } = await discovery(config.issuer);
  const verifier = random(48);
  const challenge = b64url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  const state = random(16);
  const nonce = random(16);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, nonce, returnTo }));
  const url = new URL(authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: 'openid profile email nhs_number',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    nonce,
  }).toString();
  window.location.assign(url.toString());
}

function claimsOf(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1] ?? '';
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(json) as Record<string, unknown>;
}

interface ExchangeAnswer {
  access_token: string;
  expires_in: number;
  scope: string;
  patient?: string;
  role?: Role;
  system?: string;
  region?: string;
  user?: string;
}

let completing: { search: string; done: Promise<string> } | undefined;

/** Back from the provider: code → ID token (PKCE) → the gateway's access token (once per code). */
export function completeSignIn(config: ConsoleConfig, search: string): Promise<string> {
  if (completing?.search !== search) completing = { search, done: complete(config, search) };
  return completing.done;
}

async function complete(config: ConsoleConfig, search: string): Promise<string> {
  const params = new URLSearchParams(search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as {
    verifier: string;
    state: string;
    nonce: string;
    returnTo: string;
  } | null;
  sessionStorage.removeItem(PENDING_KEY);
  if (params.get('error')) throw new Error(params.get('error_description') ?? 'sign-in refused');
  const code = params.get('code');
  if (!pending || !code || params.get('state') !== pending.state)
    throw new Error(
      `sign-in could not be completed (${!pending ? 'no sign-in started here' : !code ? 'no code' : 'state differs'}): start again`,
    );
  const { token_endpoint } = await discovery(config.issuer);
  const tokenRes = await fetch(token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri(),
      client_id: config.clientId,
      code_verifier: pending.verifier,
    }),
  });
  if (!tokenRes.ok)
    throw new Error(`sign-in refused by the identity provider (${tokenRes.status})`);
  const { id_token: idToken } = (await tokenRes.json()) as { id_token?: string };
  if (!idToken) throw new Error('the identity provider gave no ID token');
  const idClaims = claimsOf(idToken);
  if (idClaims['nonce'] !== pending.nonce) throw new Error('sign-in could not be completed');
  const exchange = await fetch('/oauth2/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: idToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
    }),
  });
  if (!exchange.ok) throw new Error(`Trellis refused this account (${exchange.status})`);
  const a = (await exchange.json()) as ExchangeAnswer;
  const name = [idClaims['given_name'], idClaims['family_name']]
    .filter((x) => typeof x === 'string')
    .join(' ');
  const productVersion = claimsOf(a.access_token)['product_version'];
  const session: Session = {
    accessToken: a.access_token,
    expiresAt: Date.now() + a.expires_in * 1000,
    role: a.patient ? 'citizen' : (a.role ?? 'supplier'),
    name: name || String(idClaims['email'] ?? 'Signed in'),
    scopes: a.scope.split(' '),
    ...(a.patient ? { patient: a.patient } : {}),
    ...(a.system ? { system: a.system } : {}),
    ...(a.region ? { region: a.region } : {}),
    ...(typeof productVersion === 'string' && productVersion ? { productVersion } : {}),
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return pending.returnTo;
}

export function currentSession(): Session | undefined {
  const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
  return s && s.expiresAt > Date.now() + 5_000 ? s : undefined;
}

export function signOut(): void {
  sessionStorage.removeItem(SESSION_KEY);
}
