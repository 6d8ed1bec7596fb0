import { faker } from '@faker-js/faker/locale/en_GB';
import type { CapabilityStatement, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { Client } from 'fhir-kit-client';

import { startFhirStack, type FhirStack } from './fhir.harness';
import { asBody, expectValid } from './support/fhir-assertions';

// JSON Patch on Patient as PDS offers it: PATCH Patient/{nhs}, application/json-patch+json,
// If-Match required; the patched resource goes through the same validation and UpdatePatient as PUT.

jest.setTimeout(180_000);

let stack: FhirStack;
let fhir: Client;
let token: string;
let readOnly: string;

beforeAll(async () => {
  stack = await startFhirStack();
  ({ token } = await stack.token(['system/Patient.cruds']));
  ({ token: readOnly } = await stack.token(['system/Patient.r']));
  fhir = new Client({ baseUrl: stack.fhirBase, bearerToken: token });
});

afterAll(async () => {
  await stack?.stop();
});

async function register(): Promise<Patient> {
  const p = (await fhir.create({
    resourceType: 'Patient',
    body: asBody({
      resourceType: 'Patient',
      name: [
        { use: 'official', family: faker.person.lastName(), given: [faker.person.firstName()] },
      ],
      gender: 'female',
      birthDate: '1979-05-21',
      address: [{ use: 'home', line: [faker.location.streetAddress()], postalCode: 'LS1 4AP' }],
    } satisfies Patient),
  })) as unknown as Patient;
  expect(p.meta?.versionId).toBe('1');
  return p;
}

async function patch(
  id: string,
  body: unknown,
  opts: { ifMatch?: string; type?: string; bearer?: string } = {},
): Promise<{ status: number; etag: string | null; body: Patient; outcome: OperationOutcome }> {
  const res = await fetch(`${stack.fhirBase}/Patient/${id}`, {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${opts.bearer ?? token}`,
      'content-type': opts.type ?? 'application/json-patch+json',
      ...(opts.ifMatch ? { 'if-match': opts.ifMatch } : {}),
    },
    body: JSON.stringify(body),
  });
  const json: unknown = await res.json();
  return {
    status: res.status,
    etag: res.headers.get('etag'),
    body: json as Patient,
    outcome: json as OperationOutcome,
  };
}

function rulesOf(o: OperationOutcome): string[] {
  return (o.issue ?? []).flatMap((i) => (i.details?.coding ?? []).map((c) => c.code ?? ''));
}

describe('PATCH Patient (RFC 6902 JSON Patch)', () => {
  it('advertises the patch interaction and the JSON Patch format', async () => {
    const cs = (await fhir.capabilityStatement()) as unknown as CapabilityStatement;
    expectValid(cs);
    expect(cs.patchFormat).toEqual(['application/json-patch+json']);
    const patient = cs.rest![0]!.resource!.find((r) => r.type === 'Patient')!;
    expect(patient.interaction!.map((i) => i.code)).toContain('patch');
  });

  it('applies a patch with If-Match: 200, the updated resource and a new ETag; a read agrees', async () => {
    const p = await register();
    const phone = faker.phone.number({ style: 'national' });
    const r = await patch(
      p.id!,
      [
        { op: 'test', path: '/gender', value: 'female' },
        { op: 'add', path: '/telecom', value: [{ system: 'phone', value: phone, use: 'home' }] },
        { op: 'replace', path: '/name/0/given/0', value: 'Imogen' },
      ],
      { ifMatch: 'W/"1"' },
    );
    expect(r.status).toBe(200);
    expect(r.etag).toBe('W/"2"');
    expectValid(r.body);
    expect(r.body.meta?.versionId).toBe('2');
    expect(r.body.telecom?.[0]?.value).toBe(phone);
    expect(r.body.name?.[0]?.given?.[0]).toBe('Imogen');
    const read = (await fhir.read({ resourceType: 'Patient', id: p.id! })) as unknown as Patient;
    expect(read.meta?.versionId).toBe('2');
    expect(read.telecom?.[0]?.value).toBe(phone);
    expect(read.name?.[0]?.family).toBe(p.name?.[0]?.family);
  });

  it('refuses without If-Match (428), stale (412), wrong content type (415), without scope (403)', async () => {
    const p = await register();
    const op = [{ op: 'replace', path: '/gender', value: 'male' }];

    const blind = await patch(p.id!, op);
    expect(blind.status).toBe(428);
    expect(rulesOf(blind.outcome)).toContain('http.if-match-required');

    const stale = await patch(p.id!, op, { ifMatch: 'W/"7"' });
    expect(stale.status).toBe(412);
    expect(stale.etag).toBe('W/"1"');
    expectValid(stale.outcome);

    const wrongType = await patch(p.id!, op, { ifMatch: 'W/"1"', type: 'application/fhir+json' });
    expect(wrongType.status).toBe(415);
    expect(rulesOf(wrongType.outcome)).toContain('http.unsupported-media-type');

    const noScope = await patch(p.id!, op, { ifMatch: 'W/"1"', bearer: readOnly });
    expect(noScope.status).toBe(403);

    // none of them changed the record
    const read = (await fhir.read({ resourceType: 'Patient', id: p.id! })) as unknown as Patient;
    expect(read.meta?.versionId).toBe('1');
    expect(read.gender).toBe('female');
  });

  it('refuses malformed (400), protected, failed-test and unresolvable patches (422), and an invalid result as PUT does', async () => {
    const p = await register();
    const cases: Array<[unknown, number, string]> = [
      [{ op: 'replace', path: '/gender', value: 'male' }, 400, 'patch.format'],
      [[{ op: 'replace', path: '/id', value: '9990000018' }], 422, 'patch.protected-path'],
      [[{ op: 'replace', path: '/meta/versionId', value: '9' }], 422, 'patch.protected-path'],
      [[{ op: 'test', path: '/gender', value: 'male' }], 422, 'patch.test-failed'],
      [[{ op: 'replace', path: '/contact/0/gender', value: 'male' }], 422, 'patch.unresolvable'],
    ];
    for (const [body, status, rule] of cases) {
      const r = await patch(p.id!, body, { ifMatch: 'W/"1"' });
      expect([JSON.stringify(body), r.status, rulesOf(r.outcome)]).toEqual([
        JSON.stringify(body),
        status,
        expect.arrayContaining([rule]),
      ]);
      expectValid(r.outcome);
    }
    // applies cleanly but the result is not a valid Patient: refused exactly as that PUT body is
    const invalid = await patch(p.id!, [{ op: 'replace', path: '/gender', value: 'banana' }], {
      ifMatch: 'W/"1"',
    });
    const put = await fetch(`${stack.fhirBase}/Patient/${p.id}`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/fhir+json',
        'if-match': 'W/"1"',
      },
      body: JSON.stringify({ ...p, gender: 'banana' }),
    });
    const putOutcome = (await put.json()) as OperationOutcome;
    expect(put.status).toBeGreaterThanOrEqual(400);
    expect(put.status).toBeLessThan(500);
    expect(invalid.status).toBe(put.status);
    expectValid(invalid.outcome);
    expect(rulesOf(invalid.outcome)).toEqual(rulesOf(putOutcome));
    expect(invalid.outcome.issue?.[0]?.expression?.join()).toContain('gender');

    const read = (await fhir.read({ resourceType: 'Patient', id: p.id! })) as unknown as Patient;
    expect(read.meta?.versionId).toBe('1');
  });
});
