import { request, type RequestListener, type Server } from 'node:http';

import type { Parameters, Patient } from '@medplum/fhirtypes';
import { Client as PgClient } from 'pg';

import { ProductsService } from '../src/app/products/products.service';
import { SystemsService } from '../src/app/systems/systems.service';
import { startFhirStack, type FhirStack } from './fhir.harness';
import { ROLE_SETUP } from './support/certification-fixtures';
import { BOOTSTRAP_CALLER, getToken, registerClient } from './support/harness';

jest.setTimeout(180_000);

/**
 * `GET /fhir/Patient/{NHS number}` and `GET /fhir/Patient?…` are dispatched without Express's
 * router scan and without Nest's router execution context (fast-read.ts, direct-route.ts; issue
 * 23). The same read with an empty query string (`?`), and the same search with the server's
 * requests handed to Express alone, go through Express's router and Nest's route handler: both
 * must answer the same — status, headers (but Date), body — for a read, a conditional read, HEAD,
 * refusals (no token, wrong scope, suspended system, rate limit), a conformance session, an unknown
 * and an invalid number; and for searches by NHS number (found, unknown, invalid), an unknown
 * parameter, refusals and HEAD.
 */
let stack: FhirStack;
let reader: string;
let nhs: string;
let routerCalls = 0;
let nestRouteCalls = 0;
let searcher: string;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One request over node:http (fetch would add `Cache-Control: no-cache` to a conditional request,
 * which makes Express answer 200 instead of 304).
 */
async function get(
  path: string,
  headers: Record<string, string>,
  method: 'GET' | 'HEAD' = 'GET',
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const base = new URL(stack.fhirBase);
    // the path as written: a URL would drop the empty query string (`?`) the routed reads use
    const req = request({
      hostname: base.hostname,
      port: base.port,
      path: `${base.pathname}/${path}`,
      method,
      headers: { 'x-correlation-id': 'fast-read-spec', ...headers },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const all: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (k !== 'date' && v !== undefined) all[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode!, headers: all, body: Buffer.concat(chunks).toString() });
      });
    });
    req.end();
  });
}

/** The read by both routes; answers the fast one after checking it equals Express's. */
async function same(
  id: string,
  headers: Record<string, string> = {},
  method: 'GET' | 'HEAD' = 'GET',
): Promise<Answer> {
  const [router, nest] = [routerCalls, nestRouteCalls];
  const fast = await get(`Patient/${id}`, headers, method);
  // neither the router nor Nest's route handler saw it
  expect([routerCalls, nestRouteCalls]).toEqual([router, nest]);
  const routed = await get(`Patient/${id}?`, headers, method);
  expect([routerCalls, nestRouteCalls]).toEqual([router + 1, nest + 1]);
  expect(fast).toEqual(routed);
  return fast;
}

/** Sets a connected system's rate budget per window (the gateway reads it per request). */
async function setRateLimit(systemId: string, perWindow: number): Promise<void> {
  const pg = new PgClient({ connectionString: process.env['DATABASE_URL'] });
  await pg.connect();
  try {
    await pg.query(
      `UPDATE "${stack.gw.schema.schema}".connected_systems SET rate_limit_per_window = $2 WHERE id = $1`,
      [systemId, perWindow],
    );
  } finally {
    await pg.end();
  }
}

beforeAll(async () => {
  stack = await startFhirStack();
  const router = (
    stack.gw.handle.app.getHttpAdapter().getInstance() as {
      router: { handle: (...a: unknown[]) => unknown };
    }
  ).router;
  const handle = router.handle.bind(router);
  router.handle = (...args: unknown[]) => {
    routerCalls++;
    return handle(...args);
  };
  // Nest's handlers of the two routes (RouterProxy over RouterExecutionContext), as Express holds them
  const routes = (
    router as unknown as {
      stack: { route?: { path: string; stack: { handle: (...a: unknown[]) => unknown }[] } }[];
    }
  ).stack;
  for (const path of ['/fhir/Patient/:id', '/fhir/Patient']) {
    const routeLayer = routes.find((l) => l.route?.path === path)!.route!.stack[0]!;
    const nestHandle = routeLayer.handle;
    routeLayer.handle = (req: unknown, res: unknown, next: unknown) => {
      nestRouteCalls++;
      return nestHandle(req, res, next);
    };
  }
  const { token: writer } = await stack.token(['system/Patient.cruds']);
  ({ token: reader } = await stack.token(['system/Patient.r']));
  ({ token: searcher } = await stack.token(['system/Patient.rs']));
  const created = await fetch(`${stack.fhirBase}/Patient`, {
    method: 'POST',
    headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Patient',
      name: [{ use: 'official', family: 'Pengelly', given: ['Morwenna'] }],
      gender: 'female',
      birthDate: '1979-04-02',
    }),
  });
  expect(created.status).toBe(201);
  nhs = ((await created.json()) as Patient).id!;
});

afterAll(async () => {
  await stack?.stop();
});

describe('GET /fhir/Patient/{id} without the router scan answers as through the router', () => {
  it('reads a patient (ETag, Last-Modified, content type, correlation id)', async () => {
    const a = await same(nhs, { authorization: `Bearer ${reader}` });
    expect(a.status).toBe(200);
    expect(a.headers['etag']).toMatch(/^W\/"\d+"$/);
    expect((JSON.parse(a.body) as Patient).id).toBe(nhs);
    expect(a.headers['x-correlation-id']).toBe('fast-read-spec');
  });

  it('answers a conditional read (If-None-Match) as the router does', async () => {
    const etag = (await get(`Patient/${nhs}`, { authorization: `Bearer ${reader}` })).headers[
      'etag'
    ]!;
    const a = await same(nhs, { authorization: `Bearer ${reader}`, 'if-none-match': etag });
    expect(a.status).toBe(304);
    expect(a.headers['etag']).toBe(etag);
    expect(a.body).toBe('');
  });

  it('refuses a request without a token (401, challenge, OperationOutcome)', async () => {
    const a = await same(nhs);
    expect(a.status).toBe(401);
    expect(a.headers['www-authenticate']).toContain('Bearer');
    expect(JSON.parse(a.body)).toMatchObject({ resourceType: 'OperationOutcome' });
  });

  it('refuses a token without the read scope (403)', async () => {
    const { token } = await stack.token(['system/Observation.r']);
    const a = await same(nhs, { authorization: `Bearer ${token}` });
    expect(a.status).toBe(403);
  });

  it('answers 404 for an unknown and for an invalid NHS number', async () => {
    // 9999999999: a valid NHS number (check digit 9) no test creates
    const unknown = await same('9999999999', { authorization: `Bearer ${reader}` });
    expect(unknown.status).toBe(404);
    const invalid = await same('1234567890', { authorization: `Bearer ${reader}` });
    expect(invalid.status).toBe(404);
  });
});

describe('HEAD, suspension, rate limit and conformance sessions answer as through the router', () => {
  it('answers HEAD with the GET headers (Content-Length, ETag) and no body', async () => {
    const a = await same(nhs, { authorization: `Bearer ${reader}` }, 'HEAD');
    expect(a.status).toBe(200);
    expect(Number(a.headers['content-length'])).toBeGreaterThan(0);
    expect(a.body).toBe('');
  });

  it('refuses a suspended system as the router does', async () => {
    const { token, systemId } = await stack.token(['system/Patient.r']);
    const auth = { authorization: `Bearer ${token}` };
    expect((await same(nhs, auth)).status).toBe(200);
    await stack.gw.handle.app
      .get(SystemsService)
      .suspend(systemId, 'fast read spec', BOOTSTRAP_CALLER);
    // suspension reaches the guard within a bounded delay (access.int-spec measures it)
    const deadline = Date.now() + 15_000;
    while ((await get(`Patient/${nhs}?`, auth)).status === 200 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const a = await same(nhs, auth);
    expect(a.status).toBe(401);
    expect(JSON.parse(a.body)).toMatchObject({ resourceType: 'OperationOutcome' });
  });

  it('answers 429 with Retry-After once the budget is spent, as the router does', async () => {
    const { token, systemId } = await stack.token(['system/Patient.r']);
    await setRateLimit(systemId, 2);
    const auth = { authorization: `Bearer ${token}` };
    expect((await same(nhs, auth)).status).toBe(200); // the budget of 2 spent by the pair
    let a = await get(`Patient/${nhs}`, auth);
    let routed = await get(`Patient/${nhs}?`, auth);
    // Retry-After counts down the window: a pair straddling a second differs by one, so again
    if (a.headers['retry-after'] !== routed.headers['retry-after']) {
      a = await get(`Patient/${nhs}`, auth);
      routed = await get(`Patient/${nhs}?`, auth);
    }
    expect(a).toEqual(routed);
    expect(a.status).toBe(429);
    expect(Number(a.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(a.body)).toMatchObject({ issue: [{ code: 'throttled' }] });
  });

  it('answers in a conformance session (sandbox data; 422 outside it) as the router does', async () => {
    const { scopes, ods, prisma } = ROLE_SETUP['gp-system'];
    const products = stack.gw.handle.app.get(ProductsService);
    await products.registerProduct(
      { id: 'fastread', supplier: 'Fast Read Ltd', name: 'fastread gp', role: prisma },
      BOOTSTRAP_CALLER,
    );
    await products.registerVersion('fastread', '1.0', BOOTSTRAP_CALLER);
    const client = await registerClient(stack.gw, {
      scopes: scopes.split(' '),
      odsCode: ods,
      productVersionId: 'fastread@1.0',
    });
    const token = await getToken(stack.gw, client, scopes);
    const auth = { authorization: `Bearer ${token}` };
    const started = await fetch(`${stack.fhirBase}/TestScript/$start-session`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Parameters',
        parameter: [
          { name: 'role', valueCode: 'gp-system' },
          { name: 'retry-after', valueInteger: 1 },
        ],
      } satisfies Parameters),
    });
    expect(started.status).toBe(201);
    // the spec's patient is sandbox data (999 range): read in the session as outside it
    const inSession = await same(nhs, auth);
    expect(inSession.status).toBe(200);
    // 9000000009: a valid NHS number outside the sandbox range, refused before any lookup
    const outside = await same('9000000009', auth);
    expect(outside.status).toBe(422);
    expect(outside.body).toContain('conformance.sandbox-data');
  });
});

/** Runs `fn` with the server's requests handed to Express alone (the path before fast-read.ts). */
async function viaExpress<T>(fn: () => Promise<T>): Promise<T> {
  const server = stack.gw.handle.app.getHttpServer() as Server;
  const express = stack.gw.handle.app.getHttpAdapter().getInstance() as RequestListener;
  const fast = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', express);
  try {
    return await fn();
  } finally {
    server.removeAllListeners('request');
    for (const l of fast) server.on('request', l);
  }
}

/**
 * A search answered by both routes, compared: a Bundle's `timestamp` is the time of the answer,
 * so it is set aside, and with it the ETag Express computes from the body — checked instead to be
 * Express's own weak ETag of each body (`etag fn`, as `res.send` makes it).
 */
async function sameSearch(
  query: string,
  headers: Record<string, string>,
  method: 'GET' | 'HEAD' = 'GET',
): Promise<Answer> {
  const app = stack.gw.handle.app.getHttpAdapter().getInstance() as {
    get(setting: 'etag fn'): (body: Buffer, encoding: string) => string;
  };
  const [router, nest] = [routerCalls, nestRouteCalls];
  const fast = await get(`Patient?${query}`, headers, method);
  expect([routerCalls, nestRouteCalls]).toEqual([router, nest]);
  const routed = await viaExpress(() => get(`Patient?${query}`, headers, method));
  expect([routerCalls, nestRouteCalls]).toEqual([router + 1, nest + 1]);
  const comparable = (a: Answer): Answer => {
    const { etag, ...rest } = a.headers;
    if (method === 'GET' && etag !== undefined)
      expect(etag).toBe(app.get('etag fn')(Buffer.from(a.body), 'utf8'));
    const body = a.body ? (JSON.parse(a.body) as Record<string, unknown>) : undefined;
    if (body?.['resourceType'] === 'Bundle') body['timestamp'] = 'at the answer';
    return { status: a.status, headers: rest, body: JSON.stringify(body) };
  };
  expect(comparable(fast)).toEqual(comparable(routed));
  return fast;
}

describe('GET /fhir/Patient?identifier=… answers as through the router', () => {
  const byNumber = (n: string) => `identifier=https://fhir.nhs.uk/Id/nhs-number|${n}`;

  it('finds a patient by NHS number (searchset, self link, correlation id)', async () => {
    const a = await sameSearch(byNumber(nhs), { authorization: `Bearer ${searcher}` });
    expect(a.status).toBe(200);
    const found = JSON.parse(a.body) as { type: string; entry: { resource: Patient }[] };
    expect(found.type).toBe('searchset');
    expect(found.entry.map((e) => e.resource.id)).toContain(nhs);
    expect(a.headers['x-correlation-id']).toBe('fast-read-spec');
  });

  it('answers an unknown number, an invalid number and an unknown parameter as the router does', async () => {
    const auth = { authorization: `Bearer ${searcher}` };
    expect((await sameSearch(byNumber('9999999999'), auth)).status).toBe(200);
    expect((await sameSearch(byNumber('1234567890'), auth)).status).toBe(400);
    expect((await sameSearch('shoe-size=9', auth)).status).toBe(400);
  });

  it('refuses no token (401) and a token without the search scope (403)', async () => {
    expect((await sameSearch(byNumber(nhs), {})).status).toBe(401);
    const a = await sameSearch(byNumber(nhs), { authorization: `Bearer ${reader}` });
    expect(a.status).toBe(403);
  });

  it('answers HEAD with the GET headers and no body', async () => {
    const a = await sameSearch(byNumber(nhs), { authorization: `Bearer ${searcher}` }, 'HEAD');
    expect(a.status).toBe(200);
    expect(a.body).toBe('');
  });
});
