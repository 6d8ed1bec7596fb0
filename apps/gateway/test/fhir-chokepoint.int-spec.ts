// Issue 14 regressions at the FHIR facade: inputs that answered 500/503 or a non-FHIR body now get
// a precise 4xx OperationOutcome, bounded in size; every 401 names its scheme.
import type { OperationOutcome, Patient } from '@medplum/fhirtypes';
import { rulesOf } from '@trellis/fhir';

import { startFhirStack, type FhirStack } from './fhir.harness';
import { expectValid } from './support/fhir-assertions';

jest.setTimeout(180_000);

let stack: FhirStack;
let token: string;

const patient: Patient = {
  resourceType: 'Patient',
  name: [{ family: 'Chokepoint', given: ['Ada'] }],
  gender: 'female',
  birthDate: '1980-02-29',
};

beforeAll(async () => {
  stack = await startFhirStack();
  ({ token } = await stack.token([
    'system/Patient.cruds',
    'system/ServiceRequest.cru',
    'system/Schedule.c',
  ]));
});
afterAll(async () => {
  await stack?.stop();
});

async function send(
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; outcome: OperationOutcome; bytes: number; headers: Headers }> {
  const res = await fetch(`${stack.fhirBase}/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  const outcome = JSON.parse(text) as OperationOutcome;
  expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  expect(outcome.resourceType).toBe('OperationOutcome');
  expectValid(outcome);
  return { status: res.status, outcome, bytes: text.length, headers: res.headers };
}

describe('the request line: ids and encodings checked before routing, auth audit and handlers', () => {
  it.each([
    ['GET', 'Patient/a%00b'],
    ['GET', 'ServiceRequest/a%00b'],
    ['GET', 'ServiceRequest/has%20space'],
    ['GET', `ServiceRequest/${'x'.repeat(65)}`],
    ['GET', 'Patient/9434765919/_history/1%2F2'],
    ['PUT', 'Patient/a%00b'],
    ['GET', 'Patient?identifier=%00'],
  ])('%s %s → 400 (a NUL reached the audit write: 503)', async (method, path) => {
    const r = await send(method, path, method === 'PUT' ? JSON.stringify(patient) : undefined);
    expect(r.status).toBe(400);
    expect(rulesOf(r.outcome)[0]).toMatch(/^(fhir\.id|http\.bad-request)$/);
  });

  it('malformed percent-encoding → 400 OperationOutcome (was a {"error"} body)', async () => {
    const r = await send('GET', 'ServiceRequest/%E0%A4%A');
    expect([r.status, rulesOf(r.outcome)]).toEqual([400, ['http.bad-request']]);
  });

  it('the bare base → 404 OperationOutcome (was a {"error"} body)', async () => {
    const res = await fetch(stack.fhirBase, { headers: { authorization: `Bearer ${token}` } });
    const outcome = (await res.json()) as OperationOutcome;
    expect([res.status, outcome.resourceType]).toEqual([404, 'OperationOutcome']);
  });
});

describe('401 carries WWW-Authenticate (RFC 6750)', () => {
  it.each([
    ['no token', undefined],
    ['a malformed token', 'Bearer not-a-jwt'],
  ])('%s', async (_what, authorization) => {
    const res = await fetch(`${stack.fhirBase}/Patient/9434765919`, {
      headers: authorization ? { authorization } : {},
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    expect(((await res.json()) as OperationOutcome).resourceType).toBe('OperationOutcome');
  });
});

describe('bodies: bounded, typed before they are read', () => {
  it('an application/json body over the limit → 413 OperationOutcome (was 500 from a global parser)', async () => {
    const big = JSON.stringify({
      ...patient,
      text: { status: 'generated', div: 'x'.repeat(2_000_000) },
    });
    const r = await send('POST', 'Patient', big, { 'content-type': 'application/json' });
    expect([r.status, rulesOf(r.outcome)]).toEqual([413, ['http.payload-too-large']]);
  });

  it('an application/json body of 200 KB (over the old global 100 KB limit) is taken like fhir+json', async () => {
    const body = JSON.stringify({
      ...patient,
      name: [{ family: `Photo${Date.now().toString(36)}`, given: ['Ada'] }],
      photo: [{ contentType: 'image/png', data: 'A'.repeat(200_000) }],
    });
    const res = await fetch(`${stack.fhirBase}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    expect([res.status, ((await res.json()) as Patient).resourceType]).toEqual([201, 'Patient']);
  });

  it.each([
    ['100 KB', 100_000],
    ['900 KB', 900_000],
  ])(
    'a %s string where an array belongs → one issue, a small answer (was 36 MB / a 500)',
    async (_w, n) => {
      const r = await send(
        'POST',
        'Patient',
        JSON.stringify({ ...patient, telecom: 'a'.repeat(n) }),
      );
      expect(r.status).toBe(400);
      expect(rulesOf(r.outcome)).toEqual(['fhir.cardinality']);
      expect(r.bytes).toBeLessThan(2_000);
    },
  );

  it('deep nesting → 400 fhir.depth', async () => {
    let ext: Record<string, unknown> = { url: 'u', valueString: 'x' };
    for (let i = 0; i < 500; i++) ext = { url: 'u', extension: [ext] };
    const r = await send('POST', 'Patient', JSON.stringify({ ...patient, extension: [ext] }));
    expect([r.status, rulesOf(r.outcome)]).toEqual([400, ['fhir.depth']]);
  });

  it('many problems → a bounded list of issues', async () => {
    const extra = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`x${i}`, i]));
    const r = await send('POST', 'Patient', JSON.stringify({ ...patient, ...extra }));
    expect(r.status).toBe(400);
    expect(r.outcome.issue!.length).toBeLessThanOrEqual(100);
  });

  it('Schedule "active": {} → 400 fhir.datatype (was accepted)', async () => {
    const r = await send(
      'POST',
      'Schedule',
      JSON.stringify({
        resourceType: 'Schedule',
        active: {},
        actor: [
          {
            type: 'Organization',
            identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'A81001' },
          },
        ],
        serviceType: [{ text: 'cardiology' }],
      }),
    );
    expect(r.status).toBe(400);
    expect(r.outcome.issue![0]!.expression).toEqual(['Schedule.active']);
    expect(rulesOf(r.outcome)).toEqual(['fhir.datatype']);
  });

  it('gender "woman" → 400 naming the element and the allowed codes (reached the platform)', async () => {
    const r = await send('POST', 'Patient', JSON.stringify({ ...patient, gender: 'woman' }));
    expect(r.status).toBe(400);
    expect(r.outcome.issue![0]!.expression).toEqual(['Patient.gender']);
    expect(r.outcome.issue![0]!.diagnostics).toContain('male, female, other, unknown');
  });

  it('a PUT with a mistyped element → 400 before the current version is read', async () => {
    const r = await send(
      'PUT',
      'ServiceRequest/00000000-0000-4000-8000-000000000000',
      JSON.stringify({
        resourceType: 'ServiceRequest',
        id: '00000000-0000-4000-8000-000000000000',
        note: {},
      }),
      { 'if-match': 'W/"1"' },
    );
    expect(r.status).toBe(400);
    expect(rulesOf(r.outcome)).toContain('fhir.cardinality');
  });
});
