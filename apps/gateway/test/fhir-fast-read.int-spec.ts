import type { Patient } from '@medplum/fhirtypes';

import { startFhirStack, type FhirStack } from './fhir.harness';

jest.setTimeout(180_000);

/**
 * `GET /fhir/Patient/{NHS number}` is dispatched without Express's router scan (fast-read.ts,
 * issue 23). The same request with an empty query string (`?`) still goes through Express's
 * router: both must answer the same — status, headers (but Date), body — for a read, a conditional
 * read, refusals, an unknown and an invalid number.
 */
let stack: FhirStack;
let reader: string;
let nhs: string;
let routerCalls = 0;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function get(path: string, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(`${stack.fhirBase}/${path}`, {
    headers: { 'x-correlation-id': 'fast-read-spec', ...headers },
  });
  const all: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    if (k !== 'date') all[k] = v;
  });
  return { status: res.status, headers: all, body: await res.text() };
}

/** The read by both routes; answers the fast one after checking it equals Express's. */
async function same(id: string, headers: Record<string, string> = {}): Promise<Answer> {
  const before = routerCalls;
  const fast = await get(`Patient/${id}`, headers);
  expect(routerCalls).toBe(before); // the router never saw it
  const routed = await get(`Patient/${id}?`, headers);
  expect(routerCalls).toBe(before + 1);
  expect(fast).toEqual(routed);
  return fast;
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
  const { token: writer } = await stack.token(['system/Patient.cruds']);
  ({ token: reader } = await stack.token(['system/Patient.r']));
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
    expect(a.headers['etag']).toBe(etag);
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
