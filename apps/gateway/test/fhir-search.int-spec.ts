import { faker } from '@faker-js/faker/locale/en_GB';
import type {
  Bundle,
  CapabilityStatement,
  DiagnosticReport,
  OperationOutcome,
  Patient,
  Resource,
  Schedule,
  ServiceRequest,
  Slot,
} from '@medplum/fhirtypes';
import { rulesOf } from '@trellis/fhir';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { startFhirStack, type FhirStack } from './fhir.harness';
import { expectValid } from './support/fhir-assertions';

// FHIR search parameters are never silently ignored: every search handler of the gateway parses
// its query through one table (the CapabilityStatement's), so an unknown parameter is refused (or
// dropped from the self link under Prefer: handling=lenient), repeated parameters are ANDed,
// `patient` filters every patient-scoped search, and _count=0 answers the true total.

jest.setTimeout(240_000);

const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const LAB_ID = 'https://fhir.trellis.nhs.uk/Id/lab-report-id';
const REGION = 'https://fhir.trellis.nhs.uk/StructureDefinition/region';

let stack: FhirStack;
/** GP practice A81001: registers patients, refers, reads results and appointments. */
let gp: string;
/** Hospital RR8: receives referrals, publishes schedules and slots, files results. */
let hospital: string;

interface Answer<T extends Resource = Resource> {
  status: number;
  body: T;
}

async function http<T extends Resource = Resource>(
  method: 'GET' | 'POST',
  path: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const url = path.startsWith('http') ? path : `${stack.fhirBase}/${path}`;
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/fhir+json',
      ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const answer = (await res.json()) as T;
  expectValid(answer);
  return { status: res.status, body: answer };
}

/** A search answered 200: its ids, total and self link. */
async function search(
  query: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<{ ids: string[]; total: number | undefined; self: string; next?: string }> {
  const r = await http<Bundle>('GET', query, token, undefined, headers);
  expect([query, r.status]).toEqual([query, 200]);
  expect(r.body.type).toBe('searchset');
  const link = (rel: string) => r.body.link?.find((l) => l.relation === rel)?.url;
  return {
    ids: (r.body.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource!.id!),
    total: r.body.total,
    self: link('self')!,
    ...(link('next') ? { next: link('next')! } : {}),
  };
}

/** A refused search: status, rules and expressions of its OperationOutcome. */
async function refused(
  query: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; rules: string[]; expressions: string[] }> {
  const r = await http<OperationOutcome>('GET', query, token, undefined, headers);
  expect([query, r.body.resourceType]).toEqual([query, 'OperationOutcome']);
  return {
    status: r.status,
    rules: rulesOf(r.body),
    expressions: (r.body.issue ?? []).flatMap((i) => i.expression ?? []),
  };
}

async function newPatient(family = faker.person.lastName()): Promise<string> {
  const r = await http<Patient>('POST', 'Patient', gp, {
    resourceType: 'Patient',
    name: [{ family, given: [faker.person.firstName()] }],
    gender: 'female',
    birthDate: '1980-06-15',
  });
  expect(r.status).toBe(201);
  return r.body.id!;
}

const fixture = JSON.parse(
  readFileSync(join(__dirname, 'fixtures/ok/service-request.json'), 'utf8'),
) as ServiceRequest;

async function refer(nhs: string): Promise<string> {
  const r = await http<ServiceRequest>('POST', 'ServiceRequest', gp, {
    ...fixture,
    subject: { reference: `Patient/${nhs}` },
    identifier: [{ ...fixture.identifier![0]!, value: `search-${faker.string.uuid()}` }],
    performer: [
      {
        type: 'Organization',
        identifier: { system: ODS, value: 'RR8' },
        extension: [{ url: REGION, valueCode: 'yorkshire' }], // as the ODS reference data says
      },
    ],
  });
  expect([r.status, r.status === 201 ? 'created' : r.body]).toEqual([201, 'created']);
  return r.body.id!;
}

async function report(
  nhs: string,
  status: 'final' | 'preliminary',
  ...codes: string[]
): Promise<string> {
  const body: DiagnosticReport = {
    resourceType: 'DiagnosticReport',
    identifier: [{ system: LAB_ID, value: `search-${faker.string.uuid()}` }],
    status,
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '58410-2', display: 'CBC panel' }] },
    subject: { reference: `Patient/${nhs}` },
    performer: [{ type: 'Organization', identifier: { system: ODS, value: 'RR8' } }],
    issued: '2026-02-10T09:00:00.000Z',
    contained: codes.map((code, i) => ({
      resourceType: 'Observation' as const,
      id: `o${i}`,
      status: 'final' as const,
      code: { coding: [{ system: 'http://loinc.org', code }] },
      subject: { reference: `Patient/${nhs}` },
      valueQuantity: UNITS[code],
    })),
    result: codes.map((_, i) => ({ reference: `#o${i}` })),
    extension: [
      {
        url: 'https://fhir.trellis.nhs.uk/StructureDefinition/report-requester',
        extension: [
          {
            url: 'organization',
            valueReference: {
              type: 'Organization',
              identifier: { system: ODS, value: 'A81001' },
              extension: [{ url: REGION, valueCode: 'north-east' }],
            },
          },
          {
            url: 'practitioner',
            valueIdentifier: { system: 'https://fhir.hl7.org.uk/Id/gmc-number', value: '7654321' },
          },
        ],
      },
    ],
  };
  const r = await http<DiagnosticReport>('POST', 'DiagnosticReport', hospital, body);
  expect([r.status, r.status === 201 ? 'created' : r.body]).toEqual([201, 'created']);
  return r.body.id!;
}

/** A plausible value of each observation code the reports use (units the platform checks). */
const UNITS: Record<string, { value: number; unit: string; system: string; code: string }> = {
  '718-7': { value: 140, unit: 'g/L', system: 'http://unitsofmeasure.org', code: 'g/L' },
  '6690-2': { value: 6.1, unit: '10*9/L', system: 'http://unitsofmeasure.org', code: '10*9/L' },
};

let p1: string;
let p2: string;
let p1Referrals: string[];
let p2Referral: string;
let p1Reports: { final: string; preliminary: string };
const serviceType = `search-${faker.string.alphanumeric(8)}`;

beforeAll(async () => {
  stack = await startFhirStack({}, { results: true, referrals: true, appointments: true });
  ({ token: gp } = await stack.token(
    [
      'system/Patient.cruds',
      'system/ServiceRequest.crus',
      'system/DiagnosticReport.rs',
      'system/Observation.rs',
      'system/Appointment.rs',
      'system/Schedule.rs',
      'system/Slot.rs',
    ],
    'A81001',
  ));
  ({ token: hospital } = await stack.token(
    [
      'system/Patient.r',
      'system/ServiceRequest.rs',
      'system/DiagnosticReport.crus',
      'system/Schedule.crs',
      'system/Slot.crs',
    ],
    'RR8',
  ));
  p1 = await newPatient();
  p2 = await newPatient();
  p1Referrals = [await refer(p1), await refer(p1)];
  p2Referral = await refer(p2);
  p1Reports = {
    final: await report(p1, 'final', '718-7'),
    preliminary: await report(p1, 'preliminary', '6690-2'),
  };
  for (let i = 0; i < 3; i++) {
    const s = await http<Schedule>('POST', 'Schedule', hospital, {
      resourceType: 'Schedule',
      actor: [{ type: 'Organization', identifier: { system: ODS, value: 'RR8' } }],
      serviceType: [{ coding: [{ code: serviceType }], text: serviceType }],
      specialty: [{ text: 'cardiology' }],
      comment: `${faker.person.lastName()} clinic`,
    });
    expect(s.status).toBe(201);
    const start = new Date(Date.now() + (i + 1) * 86_400_000);
    start.setUTCHours(9, 0, 0, 0);
    const slot = await http<Slot>('POST', 'Slot', hospital, {
      resourceType: 'Slot',
      schedule: { reference: `Schedule/${s.body.id}` },
      status: 'free',
      start: start.toISOString(),
      end: new Date(start.getTime() + 15 * 60_000).toISOString(),
    });
    expect(slot.status).toBe(201);
  }
});

afterAll(async () => {
  await stack?.stop();
});

/** One valid search per searchable resource type (the token that may run it). */
const searches = (): Array<[type: string, query: string, token: string]> => [
  ['Patient', `Patient?identifier=${NHS}|${p1}`, gp],
  ['Appointment', `Appointment?patient=${p1}`, gp],
  ['Schedule', `Schedule?organization=RR8&service-type=${serviceType}`, gp],
  ['Slot', `Slot?organization=RR8&service-type=${serviceType}`, gp],
  ['ServiceRequest', 'ServiceRequest?requester=A81001', gp],
  ['DiagnosticReport', `DiagnosticReport?patient=${p1}`, gp],
  ['Observation', `Observation?patient=${p1}`, gp],
];

describe('ServiceRequest?patient filters the worklist by patient', () => {
  it('answers only the named patient’s referrals, however the patient is named', async () => {
    for (const q of [
      `patient=${p1}`,
      `patient=Patient/${p1}`,
      `patient:identifier=${encodeURIComponent(`${NHS}|${p1}`)}`,
    ]) {
      const r = await search(`ServiceRequest?requester=A81001&${q}`, gp);
      expect([q, [...r.ids].sort(), r.total]).toEqual([q, [...p1Referrals].sort(), 2]);
      expect(decodeURIComponent(r.self)).toContain(decodeURIComponent(q));
    }
    const incoming = await search(`ServiceRequest?performer=RR8&patient=${p2}`, hospital);
    expect(incoming.ids).toEqual([p2Referral]);
    // AND of two different patients matches nothing; of the same patient twice, that patient
    expect(await search(`ServiceRequest?requester=A81001&patient=${p1}&patient=${p2}`, gp)).toEqual(
      expect.objectContaining({ ids: [], total: 0 }),
    );
    const same = await search(
      `ServiceRequest?requester=A81001&patient=${p2}&patient=Patient/${p2}`,
      gp,
    );
    expect(same.ids).toEqual([p2Referral]);
    // the patient filter travels with the paging
    const paged = await search(`ServiceRequest?requester=A81001&patient=${p1}&_count=1`, gp);
    expect(paged.ids).toHaveLength(1);
    const second = await search(paged.next!, gp);
    expect([...paged.ids, ...second.ids].sort()).toEqual([...p1Referrals].sort());
    // OR of patients is not served: refused, never narrowed to the first
    expect(await refused(`ServiceRequest?requester=A81001&patient=${p1},${p2}`, gp)).toMatchObject({
      status: 400,
      expressions: ['patient'],
    });
    expect(await refused('ServiceRequest?requester=A81001&patient=12345', gp)).toMatchObject({
      status: 400,
      expressions: ['patient'],
    });
  });
});

describe('unknown and unsupported search parameters', () => {
  it('are refused with 400 naming the parameter, for every searchable resource type', async () => {
    for (const [type, q, token] of searches()) {
      for (const extra of [
        'foo=bar',
        '_sort=-date',
        '_include=*',
        `${type === 'Patient' ? 'gender' : 'status'}:not=x`,
      ]) {
        const r = await refused(`${q}&${extra}`, token);
        expect([type, extra, r.status, r.rules, r.expressions]).toEqual([
          type,
          extra,
          400,
          ['search.unknown-parameter'],
          [extra.split('=')[0]],
        ]);
      }
    }
  });

  it('are dropped from the self link under Prefer: handling=lenient', async () => {
    for (const [type, q, token] of searches()) {
      const strict = await search(q, token);
      const lenient = await search(`${q}&foo=bar`, token, { prefer: 'handling=lenient' });
      expect([type, lenient.ids, lenient.total]).toEqual([type, strict.ids, strict.total]);
      expect([type, lenient.self.includes('foo')]).toEqual([type, false]);
      expect(new URL(lenient.self).pathname).toBe(new URL(strict.self).pathname);
    }
    // the dropped parameter is named in an OperationOutcome entry
    const r = await http<Bundle>('GET', `DiagnosticReport?patient=${p1}&foo=bar`, gp, undefined, {
      prefer: 'handling=lenient',
    });
    const outcome = r.body.entry?.find((e) => e.search?.mode === 'outcome')?.resource;
    expect(rulesOf(outcome as OperationOutcome)).toEqual(['search.parameter-ignored']);
  });

  it('$everything serves no parameters: _type, _since or _count are refused, not ignored', async () => {
    for (const q of ['_type=Observation', '_since=2020-01-01', '_count=1'])
      expect(await refused(`Patient/${p1}/$everything?${q}`, gp)).toMatchObject({
        status: 400,
        rules: ['search.unknown-parameter'],
      });
    expect((await http<Bundle>('GET', `Patient/${p1}/$everything?_format=json`, gp)).status).toBe(
      200,
    );
  });

  it('history interactions serve only the common parameters', async () => {
    const history = `ServiceRequest/${p1Referrals[0]}/_history`;
    const page = await http<Bundle>('GET', `${history}?_count=1`, gp);
    expect([page.status, page.body.type, page.body.entry?.length]).toEqual([200, 'history', 1]);
    for (const q of ['_since=2020-01-01', '_at=2020', 'foo=bar'])
      expect(await refused(`${history}?${q}`, gp)).toMatchObject({
        status: 400,
        rules: ['search.unknown-parameter'],
      });
    expect((await refused(`${history}?_count=-1`, gp)).rules).toEqual(['search.count']);
  });

  it('the CapabilityStatement declares the parameters each search serves', async () => {
    const cap = (await http<CapabilityStatement>('GET', 'metadata', gp)).body;
    const declared = new Map<string, string[]>(
      cap.rest![0]!.resource!.map((r) => [r.type, (r.searchParam ?? []).map((p) => p.name)]),
    );
    expect(declared.get('ServiceRequest')).toEqual(expect.arrayContaining(['patient']));
    for (const [type, q, token] of searches()) {
      for (const name of declared.get(type) ?? []) {
        // a declared parameter is never refused as unknown (its value may still be refused)
        const r = await http('GET', `${q}&${name}=x`, token);
        const rules = r.body.resourceType === 'OperationOutcome' ? rulesOf(r.body) : [];
        expect([type, name, rules]).not.toEqual([type, name, ['search.unknown-parameter']]);
      }
    }
  });
});

describe('repeated parameters are ANDed', () => {
  it('two different patients, statuses or codes match nothing; a date range intersects', async () => {
    for (const q of [
      `DiagnosticReport?patient=${p1}&patient=${p2}`,
      `DiagnosticReport?patient=${p1}&status=final&status=preliminary`,
      `DiagnosticReport?patient=${p1}&code=718-7&code=6690-2`,
      `Observation?patient=${p1}&patient=${p2}`,
      `Observation?patient=${p1}&code=718-7&code=6690-2`,
      `Appointment?patient=${p1}&patient=${p2}`,
    ]) {
      expect([q, await search(q, gp)]).toEqual([q, expect.objectContaining({ ids: [], total: 0 })]);
    }
    const finalOnly = await search(
      `DiagnosticReport?patient=${p1}&status=final,preliminary&status=final`,
      gp,
    );
    expect(finalOnly.ids).toEqual([p1Reports.final]);
    // born 1980-06-15: ge1970 AND ge1990 is ge1990, whichever comes first
    const family = `Andtest${faker.string.alpha({ length: 6, casing: 'lower' })}`;
    await newPatient(family);
    for (const q of [
      `Patient?family=${family}&birthdate=ge1990-01-01&birthdate=ge1970-01-01`,
      `Patient?family=${family}&birthdate=ge1970-01-01&birthdate=ge1990-01-01`,
      `Patient?family=${family}&birthdate=le1990-01-01&birthdate=le1970-01-01`,
    ])
      expect([q, (await search(q, gp)).ids]).toEqual([q, []]);
    expect(
      (await search(`Patient?family=${family}&birthdate=ge1970-01-01&birthdate=le1990-01-01`, gp))
        .ids,
    ).toHaveLength(1);
    // the slots are at 09:00 UTC one, two and three days ahead: from the start of the third day
    const third = new Date(Date.now() + 3 * 86_400_000);
    third.setUTCHours(0, 0, 0, 0);
    const later = third.toISOString();
    const slots = await search(
      `Slot?organization=RR8&service-type=${serviceType}&start=ge${later}&start=ge${new Date().toISOString()}`,
      gp,
    );
    expect(slots.ids).toHaveLength(1);
  });
});

describe('_count and paging', () => {
  it('Observation pages count observations, not reports: a report’s observations span pages', async () => {
    const p3 = await newPatient();
    const both = await report(p3, 'final', '718-7', '6690-2');
    const single = await report(p3, 'final', '718-7');
    const seen: string[] = [];
    let page = await search(`Observation?patient=${p3}&_count=1`, gp);
    for (let i = 0; i < 5; i++) {
      expect(page.ids.length).toBeLessThanOrEqual(1);
      seen.push(...page.ids);
      if (!page.next) break;
      page = await search(page.next, gp);
    }
    expect([...seen].sort()).toEqual([`${both}-obs-0`, `${both}-obs-1`, `${single}-obs-0`].sort());
    expect((await search(`Observation?patient=${p3}&_count=0`, gp)).total).toBe(3);
    expect((await search(`Observation?patient=${p3}&code=6690-2`, gp)).ids).toEqual([
      `${both}-obs-1`,
    ]);
  });

  it('_count=0 answers the true total and no entries, for every searchable resource type', async () => {
    for (const [type, q, token] of searches()) {
      const all = await search(`${q}&_count=50`, token);
      expect(all.next).toBeUndefined();
      const counted = await search(`${q}&_count=0`, token);
      expect([type, counted.ids, counted.total]).toEqual([type, [], all.ids.length]);
    }
    // the seeded data makes the totals above non-trivial where it exists
    expect((await search(`ServiceRequest?requester=A81001&_count=0`, gp)).total).toBe(3);
    expect((await search(`Observation?patient=${p1}&_count=0`, gp)).total).toBe(2);
    expect(
      (await search(`Slot?organization=RR8&service-type=${serviceType}&_count=0`, gp)).total,
    ).toBe(3);
  });

  it('refuses a _count that is not a non-negative integer, and clamps one over the maximum', async () => {
    for (const [type, q, token] of searches()) {
      for (const bad of ['-1', '1.5', 'many', '', '1e3']) {
        const r = await refused(`${q}&_count=${bad}`, token);
        expect([type, bad, r.status, r.rules]).toEqual([type, bad, 400, ['search.count']]);
      }
      const clamped = await search(`${q}&_count=100000`, token);
      expect([type, new URL(clamped.self).searchParams.get('_count')]).toEqual([type, '50']);
    }
  });

  it('refuses a tampered page token with 400', async () => {
    for (const [type, q, token] of [
      ['ServiceRequest', 'ServiceRequest?requester=A81001', gp],
      ['Schedule', `Schedule?organization=RR8&service-type=${serviceType}`, gp],
      ['Slot', `Slot?organization=RR8&service-type=${serviceType}`, gp],
      ['DiagnosticReport', `DiagnosticReport?patient=${p1}`, gp],
      ['Observation', `Observation?patient=${p1}`, gp],
    ] as const) {
      const first = await search(`${q}&_count=1`, token);
      expect([type, first.next]).toEqual([type, expect.stringContaining('_page_token=')]);
      const url = new URL(first.next!);
      const tokenValue = url.searchParams.get('_page_token')!;
      for (const tampered of [`${tokenValue}x`, 'bm90LWEtdG9rZW4', tokenValue.slice(0, -4)]) {
        url.searchParams.set('_page_token', tampered);
        const r = await refused(url.toString(), token);
        expect([type, tampered, r.status]).toEqual([type, tampered, 400]);
      }
    }
  });
});
