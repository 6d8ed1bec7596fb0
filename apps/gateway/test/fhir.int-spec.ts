import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type {
  Bundle,
  CapabilityStatement,
  OperationOutcome,
  Patient,
  Resource,
} from '@medplum/fhirtypes';
import { events } from '@trellis/contracts';

const events_v1 = events.v1;
import { NHS_NUMBER_SYSTEM, rulesOf } from '@trellis/fhir';
import { Client } from 'fhir-kit-client';
import { Client as PgClient } from 'pg';

import { routeKey } from '../src/app/fhir/fhir.registry';
import { FHIR_ROUTES } from '../src/app/fhir/fhir.routes';
import { PlatformClients } from '../src/app/fhir/platform-clients';
import { collect, startFhirStack, type FhirStack } from './fhir.harness';
import { waitFor } from './support/harness';
import { asBody, expectValid, failure } from './support/fhir-assertions';

jest.setTimeout(180_000);

const FIXTURES = join(__dirname, 'fixtures');

function fixtures(sub: string): Array<[string, Record<string, unknown>]> {
  return readdirSync(join(FIXTURES, sub))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [
      f,
      JSON.parse(readFileSync(join(FIXTURES, sub, f), 'utf8')) as Record<string, unknown>,
    ]);
}

let stack: FhirStack;
let fhir: Client;
let systemId: string;
let token: string;

function person(family: string, birthDate: string): Patient {
  return {
    resourceType: 'Patient',
    name: [{ use: 'official', family, given: ['Ada'] }],
    gender: 'female',
    birthDate,
    address: [{ use: 'home', line: ['1 Test Street'], city: 'Leeds', postalCode: 'LS1 4AP' }],
  };
}

function uniqueFamily(): string {
  const letters = 'BCDFGHJKLMNPRSTVWZ';
  let s = '';
  for (let i = 0; i < 8; i++) s += letters[Math.floor(Math.random() * letters.length)];
  return `Q${s.toLowerCase()}`;
}

beforeAll(async () => {
  stack = await startFhirStack();
  ({ token, systemId } = await stack.token([
    'system/Patient.cruds',
    'system/ServiceRequest.c',
    'system/DiagnosticReport.c',
  ]));
  fhir = new Client({ baseUrl: stack.fhirBase, bearerToken: token });
});

afterAll(async () => {
  await stack?.stop();
});

describe('FHIR facade: Patient over real HTTP (fhir-kit-client) → identity gRPC', () => {
  let created: Patient;

  it('serves a CapabilityStatement generated from the routes it serves', async () => {
    const cs = (await fhir.capabilityStatement()) as unknown as CapabilityStatement;
    expectValid(cs);
    const patient = cs.rest![0]!.resource!.find((r) => r.type === 'Patient')!;
    expect(patient.interaction!.map((i) => i.code).sort()).toEqual(
      ['create', 'history-instance', 'patch', 'read', 'search-type', 'update', 'vread'].sort(),
    );
    expect(patient.conditionalCreate).toBe(true);
    expect(patient.operation!.map((o) => o.name)).toEqual(['everything']);
    expect(patient.searchParam!.map((p) => p.name)).toEqual(
      expect.arrayContaining(['identifier', 'family', 'birthdate']),
    );
    expect(cs.rest![0]!.security!.service![0]!.coding![0]!.code).toBe('SMART-on-FHIR');
    const def = (await fhir.read({
      resourceType: 'OperationDefinition',
      id: 'patient-everything',
    })) as unknown as Resource;
    expectValid(def);
    const api = (await (await fetch(`${stack.fhirBase}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(api.paths)).toEqual(
      expect.arrayContaining([
        '/fhir/Patient/{id}',
        '/fhir/Patient/{id}/$everything',
        '/fhir/Patient',
      ]),
    );
  });

  it('creates (201 + Location + ETag) and reads back the allocated NHS number', async () => {
    const body = person(uniqueFamily(), '1984-03-12');
    const res = await fetch(`${stack.fhirBase}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    created = (await res.json()) as unknown as Patient;
    expectValid(created);
    expect(created.identifier![0]).toEqual({ system: NHS_NUMBER_SYSTEM, value: created.id });
    expect(res.headers.get('location')).toBe(`${stack.fhirBase}/Patient/${created.id}/_history/1`);
    expect(res.headers.get('etag')).toBe('W/"1"');
    const read = (await fhir.read({
      resourceType: 'Patient',
      id: created.id!,
    })) as unknown as Patient;
    expectValid(read);
    expect(read.name![0]!.family).toBe(body.name![0]!.family);
    expect(read.meta!.versionId).toBe('1');
  });

  it('updates with If-Match, refuses a stale one with 412, serves vread and _history', async () => {
    const changed: Patient = {
      ...created,
      telecom: [{ system: 'phone', value: '0113 496 0001', use: 'mobile' }],
    };
    const res = await fetch(`${stack.fhirBase}/Patient/${created.id}`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/fhir+json',
        'if-match': 'W/"1"',
      },
      body: JSON.stringify(changed),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('W/"2"');
    expect(res.headers.get('last-modified')).toBeTruthy();
    const updated = (await res.json()) as unknown as Patient;
    expectValid(updated);
    expect(updated.telecom![0]!.value).toBe('0113 496 0001');

    const stale = await failure(
      fhir.update({
        resourceType: 'Patient',
        id: created.id!,
        body: asBody(changed),
        options: { headers: { 'If-Match': 'W/"1"' } },
      }),
    );
    expect(stale.status).toBe(412);
    expectValid(stale.outcome);

    // no If-Match at all: 428, never a blind overwrite
    const blind = await failure(
      fhir.update({ resourceType: 'Patient', id: created.id!, body: asBody(changed) }),
    );
    expect(blind.status).toBe(428);
    expect(JSON.stringify(blind.outcome)).toContain('http.if-match-required');

    const v1 = (await fhir.vread({
      resourceType: 'Patient',
      id: created.id!,
      version: '1',
    })) as unknown as Patient;
    expectValid(v1);
    expect(v1.meta!.versionId).toBe('1');
    expect(v1.telecom).toBeUndefined();

    const history = (await fhir.resourceHistory({
      resourceType: 'Patient',
      id: created.id!,
    })) as unknown as Bundle;
    expectValid(history);
    expect(history.type).toBe('history');
    expect(history.entry!.map((e) => e.resource!.meta!.versionId)).toEqual(['2', '1']);
    const page1 = (await fhir.request(
      `Patient/${created.id}/_history?_count=1`,
    )) as unknown as Bundle;
    expect(page1.entry).toHaveLength(1);
    const next = page1.link!.find((l) => l.relation === 'next');
    expect(next).toBeDefined();
    const page2 = (await fhir.nextPage({
      bundle: page1 as unknown as Parameters<Client['nextPage']>[0]['bundle'],
    })) as unknown as Bundle;
    expect(page2.entry![0]!.resource!.meta!.versionId).toBe('1');
  });

  it('searches by identifier and traces by demographics with scores', async () => {
    const byId = (await fhir.search({
      resourceType: 'Patient',
      searchParams: { identifier: `${NHS_NUMBER_SYSTEM}|${created.id}` },
    })) as unknown as Bundle;
    expectValid(byId);
    expect(byId.type).toBe('searchset');
    expect(byId.total).toBe(1);
    expect(byId.link!.find((l) => l.relation === 'self')).toBeDefined();
    const traced = (await fhir.search({
      resourceType: 'Patient',
      searchParams: { family: created.name![0]!.family!, birthdate: '1984-03-12', _count: '500' },
    })) as unknown as Bundle;
    expectValid(traced);
    expect(traced.entry![0]!.resource!.id).toBe(created.id);
    expect(traced.entry![0]!.search!.score).toBeGreaterThan(0.8);
    const unknown = await failure(
      fhir.search({ resourceType: 'Patient', searchParams: { shoeSize: '9' } }),
    );
    expect(unknown.status).toBe(400);
    expect(rulesOf(unknown.outcome)).toEqual(['search.unknown-parameter']);
  });

  it('answers errors as OperationOutcome: 401, 403, 404, 409, 413, 415', async () => {
    const anon = await fetch(`${stack.fhirBase}/Patient/${created.id}`);
    expect(anon.status).toBe(401);
    const anonBody = (await anon.json()) as OperationOutcome;
    expect(anonBody.resourceType).toBe('OperationOutcome');
    expectValid(anonBody);

    const readOnly = await stack.token(['system/Patient.r']);
    const ro = new Client({ baseUrl: stack.fhirBase, bearerToken: readOnly.token });
    const denied = await failure(
      ro.create({ resourceType: 'Patient', body: asBody(person(uniqueFamily(), '1970-01-01')) }),
    );
    expect(denied.status).toBe(403);
    expect(denied.outcome.resourceType).toBe('OperationOutcome');

    const missing = await failure(fhir.read({ resourceType: 'Patient', id: '9999999999' }));
    expect([404]).toContain(missing.status);
    expectValid(missing.outcome);

    // the same person again without If-None-Exist: identity's duplicate rule → 409
    const dup = await failure(
      fhir.create({
        resourceType: 'Patient',
        body: asBody({
          ...created,
          id: undefined,
          identifier: undefined,
          meta: undefined,
          telecom: undefined,
        }),
      }),
    );
    expect(dup.status).toBe(409);
    expect(rulesOf(dup.outcome)[0]).toMatch(/^identity\.duplicate/);

    const big = await fetch(`${stack.fhirBase}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        ...person('Big', '1990-01-01'),
        text: { status: 'generated', div: 'x'.repeat(1_100_000) },
      }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as OperationOutcome).resourceType).toBe('OperationOutcome');

    const xml = await fetch(`${stack.fhirBase}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/xml' },
      body: '<Patient/>',
    });
    expect(xml.status).toBe(415);
    expect(((await xml.json()) as OperationOutcome).issue![0]!.code).toBe('not-supported');
  });

  it('answers an unserved method 405 with Allow, and an unknown resource type 404, as OperationOutcome', async () => {
    const del = await fetch(`${stack.fhirBase}/Patient/9990000018`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, PATCH, PUT');
    const delOutcome = (await del.json()) as OperationOutcome;
    expect(delOutcome.issue![0]).toMatchObject({ code: 'not-supported' });
    expect(delOutcome.issue![0]!.diagnostics ?? delOutcome.issue![0]!.details?.text).toMatch(
      /DELETE is not supported on Patient\/9990000018/,
    );

    const unknown = await fetch(`${stack.fhirBase}/Medication/123`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/application\/fhir\+json/);
    const unknownOutcome = (await unknown.json()) as OperationOutcome;
    expect(unknownOutcome.issue![0]).toMatchObject({ code: 'not-found' });
    expect(JSON.stringify(unknownOutcome)).toContain('http.unknown-resource-type');
  });

  it('answers 429 with Retry-After as an OperationOutcome once a system spends its budget', async () => {
    const limited = await stack.token(['system/Patient.r']);
    const pg = new PgClient({ connectionString: process.env['DATABASE_URL'] });
    await pg.connect();
    try {
      await pg.query(
        `UPDATE "${stack.gw.schema.schema}".connected_systems SET rate_limit_per_window = 3 WHERE id = $1`,
        [limited.systemId],
      );
    } finally {
      await pg.end();
    }
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await fetch(`${stack.fhirBase}/Patient/${created.id}`, {
        headers: { authorization: `Bearer ${limited.token}` },
      });
      statuses.push(last.status);
      if (last.status !== 429) await last.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    const outcome = (await last!.json()) as OperationOutcome;
    expect(outcome.issue![0]!.code).toBe('throttled');
    expectValid(outcome);
  });

  it('conditional create: 50 concurrent identical requests create one patient', async () => {
    const body = person(uniqueFamily(), '1991-11-23');
    const ifNoneExist = `family=${body.name![0]!.family}&birthdate=1991-11-23&_fuzzy-match=false`;
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(`${stack.fhirBase}/Patient`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/fhir+json',
            'if-none-exist': ifNoneExist,
          },
          body: JSON.stringify(body),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown as Patient })),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const traced = (await fhir.search({
      resourceType: 'Patient',
      searchParams: { family: body.name![0]!.family!, _count: '50' },
    })) as unknown as Bundle;
    expect(traced.entry).toHaveLength(1);
  });

  it('answers a merged-away NHS number with the surviving patient and a replaced-by link', async () => {
    const a = (await fhir.create({
      resourceType: 'Patient',
      body: asBody(person(uniqueFamily(), '1962-05-01')),
    })) as unknown as Patient;
    const b = (await fhir.create({
      resourceType: 'Patient',
      body: asBody(person(uniqueFamily(), '1962-05-02')),
    })) as unknown as Patient;
    // merging is an identity operation (not a FHIR interaction here) for a national identity
    // administrator (trellis/identity.admin, not Patient.u): call identity over gRPC through the
    // gateway's gRPC front door (the platforms admit only the gateway and their peers)
    const { token: admin } = await stack.token(['trellis/identity.admin'], 'X26');
    const clients = new PlatformClients({ identity: stack.frontDoor }, 5000);
    await clients.call(
      clients.patients.mergePatients,
      {
        supersededNhsNumber: a.id,
        survivorNhsNumber: b.id,
        expectedSupersededVersion: 0,
        expectedSurvivorVersion: 0,
        reason: 'duplicate registration',
      },
      { authorization: `Bearer ${admin}` },
    );
    clients.close();
    const res = await fetch(`${stack.fhirBase}/Patient/${a.id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const survivor = (await res.json()) as unknown as Patient;
    expectValid(survivor);
    expect(survivor.id).toBe(b.id);
    expect(res.headers.get('link')).toBe(`<${stack.fhirBase}/Patient/${b.id}>; rel="replaced-by"`);
    expect(survivor.link).toEqual(
      expect.arrayContaining([{ other: { reference: `Patient/${a.id}` }, type: 'replaces' }]),
    );
  });
});

describe('scope matrix generated from the FHIR route registry', () => {
  it('every declared route: 401 without a token, 403 OperationOutcome without its scope', async () => {
    // a valid token whose only scope no FHIR route uses (Observation is served since, so not that)
    const other = await stack.token(['system/Practitioner.r']);
    const rows = FHIR_ROUTES.filter((r) => r.scope);
    expect(rows.length).toBeGreaterThanOrEqual(15);
    const seen: string[] = [];
    for (const r of rows) {
      const path = r.path
        .replace(
          ':id',
          r.resource === 'Patient' ? '9434765919' : '00000000-0000-4000-8000-000000000000',
        )
        .replace(':vid', '1');
      const init = (auth?: string): RequestInit => ({
        method: r.method,
        headers: {
          ...(auth ? { authorization: `Bearer ${auth}` } : {}),
          ...(r.method === 'GET'
            ? {}
            : {
                'content-type':
                  r.method === 'PATCH' ? 'application/json-patch+json' : 'application/fhir+json',
              }),
        },
        ...(r.method === 'GET'
          ? {}
          : r.method === 'PATCH'
            ? { body: JSON.stringify([{ op: 'test', path: '/id', value: '9434765919' }]) }
            : { body: JSON.stringify({ resourceType: r.resource ?? 'Parameters' }) }),
      });
      const anon = await fetch(`${stack.fhirBase}/${path}`, init());
      const denied = await fetch(`${stack.fhirBase}/${path}`, init(other.token));
      const body = (await denied.json()) as OperationOutcome;
      await anon.arrayBuffer();
      seen.push(`${routeKey(r)} ${anon.status} ${denied.status} ${body.resourceType}`);
    }
    expect(seen).toEqual(rows.map((r) => `${routeKey(r)} 401 403 OperationOutcome`));
  });
});

describe('validation at the chokepoint: the not-ok table', () => {
  const table = fixtures('not-ok');

  it('has at least 40 invalid resources', () => {
    expect(table.length).toBeGreaterThanOrEqual(40);
  });

  it.each(table)('%s is refused with the expected rule and path', async (_file, fixture) => {
    const want = fixture['expect'] as { status: number; rule: string; expression: string };
    const res = await failure(
      fhir.create({
        resourceType:
          (fixture['endpoint'] as string | undefined) ??
          (fixture['resource'] as Resource).resourceType,
        body: asBody(fixture['resource'] as Resource),
      }),
    );
    expect(res.status).toBe(want.status);
    expectValid(res.outcome);
    const issue = res.outcome.issue!.find((i) =>
      i.details?.coding?.some((c) => c.code === want.rule),
    );
    expect(issue).toBeDefined();
    expect(issue!.expression).toEqual([want.expression]);
    expect(issue!.diagnostics).toBeTruthy();
  });

  it.each(fixtures('ok').filter(([, r]) => r['resourceType'] === 'Patient'))(
    '%s is accepted',
    async (_file, resource) => {
      const p = resource as unknown as Patient;
      const body: Patient = { ...p, name: [{ ...p.name![0]!, family: uniqueFamily() }] };
      const res = await fetch(`${stack.fhirBase}/Patient`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
        body: JSON.stringify(body),
      });
      const created = (await res.json()) as Patient;
      expect({ status: res.status, created }).toEqual({
        status: 201,
        created: expect.objectContaining({ resourceType: 'Patient' }),
      });
      expectValid(created);
    },
  );

  it('emits one ConformanceViolation per system and rule on trellis.gateway.conformance.v1', async () => {
    const topic = await collect(stack.conformanceTopic);
    try {
      const msgs = await waitFor(
        () => (topic.messages.length >= 44 ? topic.messages : undefined),
        30_000,
      );
      const decoded = msgs.map((m) => events.v1.ConformanceViolation.decode(m.value!));
      expect(decoded.every((d) => d.systemId === systemId)).toBe(true);
      expect(msgs.every((m) => m.key?.toString() === systemId)).toBe(true);
      const rules = new Set(decoded.map((d) => d.rule));
      expect(rules).toEqual(expect.objectContaining({}));
      expect(rules.has('nhs-number.check-digit')).toBe(true);
      expect(rules.has('patient.birth-date.future')).toBe(true);
      const checkDigit = decoded.find(
        (d) => d.rule === 'nhs-number.check-digit' && d.resourceType === 'Patient',
      )!;
      expect(checkDigit.expressions).toEqual(['Patient.identifier[0].value']);
      expect(checkDigit.httpStatus).toBe(422);
      expect(msgs[0]!.headers!['ce_type']!.toString()).toBe(
        'uk.nhs.trellis.gateway.ConformanceViolation.v1',
      );
    } finally {
      await topic.stop();
    }
  });
});

describe('shared care record: Patient/{nhs}/$everything', () => {
  it('returns identity data plus an OperationOutcome entry per platform that does not answer', async () => {
    const p = (await fhir.create({
      resourceType: 'Patient',
      body: asBody(person(uniqueFamily(), '1955-09-09')),
    })) as unknown as Patient;
    const started = Date.now();
    const all = (await fhir.operation({
      resourceType: 'Patient',
      id: p.id!,
      name: '$everything',
      method: 'GET',
    })) as unknown as Bundle;
    expect(Date.now() - started).toBeLessThan(5_000);
    expectValid(all);
    const patients = all.entry!.filter((e) => e.resource!.resourceType === 'Patient');
    expect(patients.map((e) => e.resource!.id)).toEqual([p.id]);
    const outcomes = all
      .entry!.filter((e) => e.search?.mode === 'outcome')
      .map((e) => e.resource as OperationOutcome);
    expect(outcomes.map((o) => rulesOf(o)[0]).sort()).toEqual([
      'everything.platform-unavailable.appointments',
      'everything.platform-unavailable.referrals',
      'everything.platform-unavailable.results',
    ]);
    expect(outcomes[0]!.issue![0]!.diagnostics).toMatch(/platform/);
  });

  it('is audited like any read (gateway access event with the patient and the route)', async () => {
    const p = (await fhir.create({
      resourceType: 'Patient',
      body: asBody(person(uniqueFamily(), '1956-10-10')),
    })) as unknown as Patient;
    const audit = await collect(stack.gw.auditTopic);
    try {
      await fhir.operation({
        resourceType: 'Patient',
        id: p.id!,
        name: '$everything',
        method: 'GET',
      });
      const events = await waitFor(() => {
        const found = audit.messages
          .map((m) => events_v1.AccessRecorded.decode(m.value!))
          .filter((e) => e.patientNhsNumber === p.id && e.interaction.includes('$everything'));
        return found.length ? found : undefined;
      }, 20_000);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        systemId,
        action: 'R',
        resourceType: 'Patient',
        sourceService: 'gateway',
      });
    } finally {
      await audit.stop();
    }
  });

  it('with identity stopped too, still answers (no silent gap): every platform reported', async () => {
    await stack.stopIdentity();
    const res = await fetch(`${stack.fhirBase}/Patient/9434765919/$everything`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const all = (await res.json()) as unknown as Bundle;
    expectValid(all);
    const rules = all.entry!.map((e) => rulesOf(e.resource as OperationOutcome)[0]);
    expect(rules).toContain('everything.platform-unavailable.identity');
  });
});
