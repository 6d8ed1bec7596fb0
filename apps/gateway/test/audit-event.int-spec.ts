// FHIR AuditEvent at the gateway over the audit store (real gateway, identity and audit processes,
// real PostgreSQL and Kafka): who looked at a patient's record, IHE BALP-shaped, each resource
// passing the FHIR validator; the operator sees every organisation, a local system only its own.
import type { AuditEvent, Bundle, Patient } from '@medplum/fhirtypes';
import { NHS_NUMBER_SYSTEM, ODS_ORGANISATION_SYSTEM, validateFhirResource } from '@trellis/fhir';

import { expectValid } from './support/fhir-assertions';
import { startAuditStack, type AuditStack } from './support/audit-stack';

jest.setTimeout(180_000);

let stack: AuditStack;
let gp: string;
let hospital: string;
let operator: string;
let nhs: string;
let otherNhs: string;

async function fhir<T>(
  path: string,
  token: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.fhirBase}/${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body ? { 'content-type': 'application/fhir+json' } : {}),
      ...init.headers,
    },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

function person(family: string): Patient {
  return {
    resourceType: 'Patient',
    name: [{ use: 'official', family, given: ['Ada'] }],
    gender: 'female',
    birthDate: '1980-02-03',
    address: [{ use: 'home', line: ['1 Test Street'], city: 'Leeds', postalCode: 'LS1 4AP' }],
  };
}

/** Polls the log until `ok` holds (condition-based; the deadline only ends a hung test). */
async function logUntil(
  query: string,
  token: string,
  ok: (b: Bundle<AuditEvent>) => boolean,
): Promise<Bundle<AuditEvent>> {
  const end = Date.now() + 60_000;
  for (;;) {
    const r = await fhir<Bundle<AuditEvent>>(`AuditEvent?${query}`, token);
    if (r.status === 200 && ok(r.body)) return r.body;
    if (Date.now() > end) throw new Error(`log never matched: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

const orgs = (b: Bundle<AuditEvent>) =>
  (b.entry ?? []).map(
    (e) =>
      e.resource!.agent.find((a) => a.who?.identifier?.system === ODS_ORGANISATION_SYSTEM)?.who
        ?.identifier?.value,
  );

beforeAll(async () => {
  stack = await startAuditStack();
  ({ token: gp } = await stack.system(
    ['system/Patient.cruds', 'system/AuditEvent.rs'],
    'Y12345',
    'north-east',
  ));
  ({ token: hospital } = await stack.system(
    ['system/Patient.rs', 'system/AuditEvent.rs'],
    'R1K01',
    'london',
  ));
  ({ token: operator } = await stack.system(
    ['trellis/admin', 'system/AuditEvent.rs'],
    'X26',
    'london',
  ));
  const created = await fhir<Patient>('Patient', gp, {
    method: 'POST',
    body: person('Auditson'),
  });
  expect(created.status).toBe(201);
  nhs = created.body.id!;
  const other = await fhir<Patient>('Patient', gp, { method: 'POST', body: person('Otherly') });
  otherNhs = other.body.id!;
});

afterAll(async () => {
  await stack?.stop();
});

describe('FHIR AuditEvent (IHE BALP) over the audit store', () => {
  it('shows who looked at the record, newest first, each a valid AuditEvent', async () => {
    expect((await fhir<Patient>(`Patient/${nhs}`, gp)).status).toBe(200);
    expect((await fhir<Patient>(`Patient/${nhs}`, hospital)).status).toBe(200);
    expect(
      (await fhir<Bundle>(`Patient?identifier=${NHS_NUMBER_SYSTEM}|${nhs}`, hospital)).status,
    ).toBe(200);
    const log = await logUntil(`patient=${nhs}`, operator, (b) =>
      (b.entry ?? []).some(
        (e) => e.resource?.subtype?.[0]?.code === 'GET /fhir/Patient' && orgs(b).includes('R1K01'),
      ),
    );
    expectValid(log);
    for (const e of log.entry ?? []) expect(validateFhirResource(e.resource).valid).toBe(true);
    // the GP and the hospital read the record; the operator's own reads of this log show too
    expect(new Set(orgs(log))).toEqual(
      new Set(['Y12345', 'R1K01', ...(orgs(log).includes('X26') ? ['X26'] : [])]),
    );
    for (const e of log.entry!.filter((x) => orgs({ ...log, entry: [x] })[0] === 'X26'))
      expect(e.resource).toMatchObject({
        subtype: [{ code: 'GET /fhir/AuditEvent' }],
        purposeOfEvent: [{ coding: [{ code: 'HOPERAT' }] }],
      });
    const recorded = (log.entry ?? []).map((e) => e.resource!.recorded!);
    expect([...recorded].sort().reverse()).toEqual(recorded);
    const read = log.entry!.find(
      (e) => e.resource!.subtype?.[0]?.code === 'GET /fhir/Patient/:id',
    )!.resource!;
    expect(read).toMatchObject({
      type: { code: 'rest' },
      action: 'R',
      outcome: '0',
      purposeOfEvent: [{ coding: [{ code: 'TREAT' }] }],
      entity: expect.arrayContaining([
        expect.objectContaining({
          what: expect.objectContaining({ identifier: { system: NHS_NUMBER_SYSTEM, value: nhs } }),
        }),
      ]),
    });
    // $everything and the search by identifier name the patient in their access records
    expect((await fhir(`Patient/${nhs}/$everything`, gp)).status).toBe(200);
    const everything = await logUntil(`patient=${nhs}&agent=Organization/Y12345`, operator, (b) =>
      (b.entry ?? []).some((e) => e.resource?.subtype?.[0]?.code?.endsWith('$everything')),
    );
    expect(everything.entry!.length).toBeGreaterThan(0);
    const query = log.entry!.find((e) => e.resource!.subtype?.[0]?.code === 'GET /fhir/Patient')!;
    expect(query.resource!.meta?.profile?.[0]).toMatch(/PatientQuery$/);
    expect(log.total).toBe(log.entry!.length);
  });

  it("a local system reads only its own organisation's accesses", async () => {
    const mine = await logUntil(`patient=${nhs}`, hospital, (b) => (b.entry ?? []).length > 0);
    expect(new Set(orgs(mine))).toEqual(new Set(['R1K01']));
    const theirs = await fhir<Bundle>(
      `AuditEvent?patient=${nhs}&agent=Organization/Y12345`,
      hospital,
    );
    expect(theirs.status).toBe(403);
    const gpEvent = (
      await logUntil(`patient=${nhs}&agent=Organization/Y12345`, operator, (b) => !!b.total)
    ).entry![0]!.resource!;
    expect((await fhir(`AuditEvent/${gpEvent.id}`, hospital)).status).toBe(404);
    const own = await fhir<AuditEvent>(`AuditEvent/${gpEvent.id}`, gp);
    expect(own.status).toBe(200);
    expectValid(own.body);
    expect(own.body.id).toBe(gpEvent.id);
  });

  it('filters by organisation, date, action, outcome and pages with next links', async () => {
    for (let i = 0; i < 3; i++)
      expect((await fhir(`Patient/${otherNhs}`, hospital)).status).toBe(200);
    // the hospital's three reads (the operator's own searches of this log are accesses too)
    const q = `patient=${otherNhs}&agent=Organization/R1K01&action=R`;
    const all = await logUntil(q, operator, (b) => b.total === 3);
    expect(all.entry).toHaveLength(3);
    const first = await fhir<Bundle>(`AuditEvent?${q}&_count=2`, operator);
    expect(first.body.entry).toHaveLength(2);
    expect(first.body.total).toBe(3);
    const next = first.body.link?.find((l) => l.relation === 'next')?.url;
    expect(next).toBeDefined();
    const rest = await fetch(next!, { headers: { authorization: `Bearer ${operator}` } });
    const page2 = (await rest.json()) as Bundle;
    expect(page2.link?.find((l) => l.relation === 'next')).toBeUndefined();
    const ids = [...first.body.entry!, ...page2.entry!].map((e) => e.resource!.id);
    expect(ids).toEqual(all.entry!.map((e) => e.resource!.id));
    const future = await fhir<Bundle>(`AuditEvent?${q}&date=ge2999-01-01`, operator);
    expect(future.body.total).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    const window = await fhir<Bundle>(
      `AuditEvent?${q}&date=ge${today}&date=le${today}&outcome=0`,
      operator,
    );
    expect(window.body.total).toBe(3);
    expect((await fhir<Bundle>(`AuditEvent?${q}&outcome=4`, operator)).body.total).toBe(0);
  });

  it('refuses bad searches precisely and never serves without the scope', async () => {
    const bad = await fhir<{ issue: Array<{ expression?: string[] }> }>(
      'AuditEvent?patient=123&action=X',
      operator,
    );
    expect(bad.status).toBe(400);
    expect((await fhir('AuditEvent?patient=' + nhs + '&colour=blue', operator)).status).toBe(400);
    const { token: noScope } = await stack.system(['system/Patient.rs'], 'R1K02', 'london');
    expect((await fhir(`AuditEvent?patient=${nhs}`, noScope)).status).toBe(403);
  });
});
