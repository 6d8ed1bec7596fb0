import type { IncomingMessage, ServerResponse } from 'node:http';

import type Provider from 'oidc-provider';

import type { CitizenDirectory } from './citizens';

const escape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// Browsers apply form-action to the redirects after a form post too: the consent form ends at
// the client's redirect URI, so its origins are allowed (set at start from the registered URIs).
let formAction = "'self'";

/** The registered redirect URIs whose origins the sign-in forms may end at. */
export function allowFormRedirects(redirectUris: readonly string[]): void {
  const origins = [...new Set(redirectUris.map((u) => new URL(u).origin))];
  formAction = ["'self'", ...origins].join(' ');
}

function page(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}`,
  });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>` +
      `<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`,
  );
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16_384) throw new Error('form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function loginForm(uid: string, error?: string): string {
  return (
    (error ? `<p role="alert">${escape(error)}</p>` : '') +
    `<form method="post" action="/interaction/${escape(uid)}/login">` +
    `<label>Email <input type="email" name="email" autocomplete="username" required></label>` +
    `<label>Password <input type="password" name="password" autocomplete="current-password" required></label>` +
    `<button type="submit">Continue</button></form>`
  );
}

/**
 * The provider's own pages (the "interaction" of oidc-provider): sign in with email and password,
 * then consent to share the NHS number and profile with the citizen app. Anything else is the
 * provider's (authorization, token, JWKS, discovery, userinfo endpoints).
 */
export async function handleInteraction(
  provider: Provider,
  citizens: CitizenDirectory,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login|\/confirm)?$/.exec(path);
  if (!m) return page(res, 404, 'Not found', '');
  const uid = m[1]!;
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return page(res, 400, 'Sign-in expired', '<p>Start again.</p>');
  const action = m[2];
  if (req.method === 'GET' && !action) {
    if (details.prompt.name === 'login') return page(res, 200, 'Sign in', loginForm(uid));
    const scopes = String(details.params['scope'] ?? '').split(' ');
    return page(
      res,
      200,
      'Share your details',
      `<p>Trellis citizen access asks for: ${escape(scopes.join(', '))}.</p>` +
        `<form method="post" action="/interaction/${escape(uid)}/confirm"><button type="submit">Allow</button></form>`,
    );
  }
  if (req.method === 'POST' && action === '/login') {
    if (details.prompt.name !== 'login') return page(res, 400, 'Unexpected step', '');
    const form = await formBody(req);
    const citizen = citizens.authenticate(form.get('email') ?? '', form.get('password') ?? '');
    if (!citizen)
      return page(res, 401, 'Sign in', loginForm(uid, 'The email or password is not right.'));
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: citizen.sub } },
      { mergeWithLastSubmission: false },
    );
  }
  if (req.method === 'POST' && action === '/confirm') {
    if (details.prompt.name !== 'consent' || !details.session?.accountId)
      return page(res, 400, 'Unexpected step', '');
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({
          accountId: details.session.accountId,
          clientId: String(details.params['client_id']),
        });
    if (!grant) return page(res, 400, 'Sign-in expired', '<p>Start again.</p>');
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
    };
    if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims?.length) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    return provider.interactionFinished(
      req,
      res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  }
  return page(res, 405, 'Not allowed', '');
}
