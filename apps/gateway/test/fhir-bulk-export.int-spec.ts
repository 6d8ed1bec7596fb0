// FHIR Bulk Data $export (issue 21) through the gateway and the real identity platform: the
// north-east authority's export holds exactly the north-east patients this test registered (its
// own records, 999-range NHS numbers from the test allocator), each NDJSON line a valid Patient;
// a restricted north-east patient only with trellis/restricted.read; another region's authority
// cannot see the job or its files; bad kick-offs are 400s.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { faker } from '@faker-js/faker/locale/en_GB';
import type { Patient } from '@medplum/fhirtypes';
import { events } from '@trellis/contracts';
import { pollUntil } from '@trellis/testing';

import { startFhirStack, type FhirStack } from './fhir.harness';
import { expectValid } from './support/fhir-assertions';
import { getToken, onboardingOf, registerClient } from './support/harness';

jest.setTimeout(240_000);

const full = JSON.parse(
  readFileSync(join(__dirname, 'fixtures/ok/patient-full.json'), 'utf8'),
) as Patient;

let stack: FhirStack;
let registrar: string;
const tokens: Record<string, string> = {};
const registered: Record<string, string[]> = { 'north-east': [], london: [], restricted: [] };

async function authority(odsCode: string, region: string, scopes: string[]): Promise<string> {
  const c = await registerClient(stack.gw, { scopes, odsCode, region });
  return getToken(stack.gw, c, scopes.join(' '));
}

async function register(gp: string, restricted = false): Promise<string> {
  const body: Patient = {
    ...full,
    name: [{ use: 'official', family: faker.person.lastName(), given: [faker.person.firstName()] }],
    birthDate: faker.date.birthdate({ min: 20, max: 90, mode: 'age' }).toISOString().slice(0, 10),
    generalPractitioner: [
      {
        type: 'Organization',
        identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: gp },
      },
    ],
    ...(restricted
      ? {
          meta: {
            security: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
                code: 'R',
              },
            ],
          },
        }
      : {}),
  };
  delete body.id;
  delete body.identifier;
  const res = await fetch(`${stack.fhirBase}/Patient`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${registrar}`,
      'content-type': 'application/fhir+json',
      accept: 'application/fhir+json',
    },
    body: JSON.stringify(body),
  });
  const created = (await res.json()) as Patient;
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(created)}`);
  return created.id!;
}

function call(path: string, token: string, init: RequestInit = {}): Promise<Response> {
  return fetch(path.startsWith('http') ? path : `${stack.fhirBase}/${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/fhir+json',
      ...(init.headers as Record<string, string> | undefined),
    },
  });
}

const kickOff = (path: string, token: string, prefer = 'respond-async') =>
  call(path, token, { headers: prefer ? { prefer } : {} });

interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: Array<{ type: string; url: string; count: number }>;
  error: unknown[];
}

async function finished(statusUrl: string, token: string): Promise<Manifest> {
  return pollUntil(
    'export completed',
    async () => {
      const r = await call(statusUrl, token);
      if (r.status === 202) {
        expect(r.headers.get('x-progress')).toBeTruthy();
        return undefined;
      }
      expect(r.status).toBe(200);
      return (await r.json()) as Manifest;
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  );
}

async function exported(manifest: Manifest, token: string): Promise<Patient[]> {
  const out: Patient[] = [];
  for (const f of manifest.output) {
    const r = await call(f.url, token);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('application/fhir+ndjson');
    const lines = (await r.text()).split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(f.count);
    for (const line of lines) {
      const resource = JSON.parse(line) as Patient;
      expect(resource.resourceType).toBe(f.type);
      expectValid(resource);
      out.push(resource);
    }
  }
  return out;
}

const claims = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as {
    sub: string;
    scope: string;
    ods_code: string;
    region: string;
  };

/** The gateway's own access-audit records (its outbox; the relay publishes them) of a system. */
async function audited(systemId: string): Promise<events.v1.AccessRecorded[]> {
  const rows = await onboardingOf(stack.gw).prisma.$queryRawUnsafe<Array<{ payload: Buffer }>>(
    `SELECT payload FROM outbox_events WHERE topic = $1 ORDER BY seq`,
    stack.gw.auditTopic,
  );
  return rows
    .map((r) => events.v1.AccessRecorded.decode(r.payload))
    .filter((a) => a.systemId === systemId && a.outcome === '0');
}

beforeAll(async () => {
  stack = await startFhirStack(
    {},
    { gatewayEnv: { FHIR_EXPORT_PAGE_SIZE: '3', FHIR_EXPORT_POLL_MS: '200' } },
  );
  registrar = (await stack.token(['system/Patient.cruds', 'trellis/restricted.read'], 'A81001'))
    .token;
  const exportScopes = (r: string) => [`region/${r}/population.read`, 'system/Patient.r'];
  tokens['ne'] = await authority('YRA01', 'north-east', exportScopes('north-east'));
  tokens['neRestricted'] = await authority('YRA01', 'north-east', [
    ...exportScopes('north-east'),
    'trellis/restricted.read',
  ]);
  tokens['london'] = await authority('YRA06', 'london', exportScopes('london'));
  for (const gp of ['A81001', 'A82001', 'A83001', 'A81001', 'A82001', 'A83001', 'A81001'])
    registered['north-east']!.push(await register(gp));
  for (const gp of ['E81001', 'E82001', 'F84001']) registered['london']!.push(await register(gp));
  registered['restricted']!.push(await register('A82001', true));
});

afterAll(async () => {
  await stack?.stop();
});

it("north-east's export holds exactly its region's patients, as valid NDJSON Patients", async () => {
  const k = await kickOff('Group/region-north-east/$export?_type=Patient', tokens['ne']!);
  expect(k.status).toBe(202);
  const statusUrl = k.headers.get('content-location')!;
  expect(statusUrl).toMatch(/\/fhir\/\$export-status\/[0-9a-f-]{36}$/);
  const manifest = await finished(statusUrl, tokens['ne']!);
  expect(manifest.requiresAccessToken).toBe(true);
  expect(manifest.error).toEqual([]);
  expect(manifest.request).toContain('Group/region-north-east/$export');
  expect(manifest.output.length).toBeGreaterThan(1); // page size 3: several files
  const ids = (await exported(manifest, tokens['ne']!)).map((p) => p.id).sort();
  // no restricted patient without trellis/restricted.read, none of london's
  expect(ids).toEqual([...registered['north-east']!].sort());

  // audited: one record for the kick-off, one per file downloaded (the status is not patient data)
  const ne = claims(tokens['ne']!).sub;
  const records = await pollUntil('audit records', async () => {
    const a = await audited(ne);
    return a.length >= 1 + manifest.output.length ? a : undefined;
  });
  expect(records.map((a) => a.interaction).sort()).toEqual(
    [
      'GET /fhir/Group/:id/$export',
      ...manifest.output.map(() => 'GET /fhir/$export-file/:id/:seq'),
    ].sort(),
  );

  // another region's authority: neither the status nor the files
  expect((await call(statusUrl, tokens['london']!)).status).toBe(404);
  expect((await call(manifest.output[0]!.url, tokens['london']!)).status).toBe(404);
  expect((await call(statusUrl, tokens['london']!, { method: 'DELETE' })).status).toBe(404);
  // no bearer token: 401
  expect((await fetch(manifest.output[0]!.url)).status).toBe(401);
});

it('with trellis/restricted.read the restricted north-east patient is exported too', async () => {
  const k = await kickOff('Group/region-north-east/$export', tokens['neRestricted']!);
  expect(k.status).toBe(202);
  const manifest = await finished(k.headers.get('content-location')!, tokens['neRestricted']!);
  const ids = (await exported(manifest, tokens['neRestricted']!)).map((p) => p.id).sort();
  expect(ids).toEqual([...registered['north-east']!, ...registered['restricted']!].sort());
});

it('a cancelled job is gone for its owner', async () => {
  const k = await kickOff('Group/region-london/$export', tokens['london']!);
  expect(k.status).toBe(202);
  const statusUrl = k.headers.get('content-location')!;
  expect((await call(statusUrl, tokens['london']!, { method: 'DELETE' })).status).toBe(202);
  expect((await call(statusUrl, tokens['london']!)).status).toBe(404);
});

it('bad kick-offs are refused with an OperationOutcome', async () => {
  const cases: Array<[string, string, string, number]> = [
    ['Group/region-north-east/$export', tokens['ne']!, '', 400], // no Prefer: respond-async
    ['Group/region-north-east/$export?_type=Observation', tokens['ne']!, 'respond-async', 400],
    ['Group/region-north-east/$export?_type=Nonsense', tokens['ne']!, 'respond-async', 400],
    ['Group/region-north-east/$export?_since=yesterday', tokens['ne']!, 'respond-async', 400],
    ['Group/region-north-east/$export?_outputFormat=csv', tokens['ne']!, 'respond-async', 400],
    ['Group/region-north-east/$export?colour=blue', tokens['ne']!, 'respond-async', 400],
    ['Group/region-london/$export', tokens['ne']!, 'respond-async', 403],
    ['$export', tokens['ne']!, 'respond-async', 403], // system level: national operator only
    ['Group/region-atlantis/$export', tokens['ne']!, 'respond-async', 404],
  ];
  for (const [path, token, prefer, status] of cases) {
    const r = await kickOff(path, token, prefer);
    const body = (await r.json()) as { resourceType: string };
    expect({ path, prefer, status: r.status, type: body.resourceType }).toEqual({
      path,
      prefer,
      status,
      type: 'OperationOutcome',
    });
  }
});

it('the CapabilityStatement declares $export', async () => {
  const r = await fetch(`${stack.fhirBase}/metadata`, {
    headers: { accept: 'application/fhir+json' },
  });
  const cs = (await r.json()) as {
    rest: Array<{
      operation?: Array<{ name: string }>;
      resource: Array<{ type: string; operation?: Array<{ name: string }> }>;
    }>;
  };
  expect(cs.rest[0]!.operation?.map((o) => o.name)).toContain('export');
  const group = cs.rest[0]!.resource.find((x) => x.type === 'Group');
  expect(group?.operation?.map((o) => o.name)).toContain('export');
});

it('a job left running by a stopped gateway (lease lapsed) is resumed and completed', async () => {
  const c = claims(tokens['ne']!);
  const id = randomUUID();
  await onboardingOf(stack.gw).prisma.bulkExportJob.create({
    data: {
      id,
      ownerSystemId: c.sub,
      scopes: c.scope.split(' '),
      ownerOdsCode: c.ods_code,
      ownerRegion: c.region,
      region: 'north-east',
      types: ['Patient'],
      request: `${stack.fhirBase}/Group/region-north-east/$export`,
      status: 'running',
      leaseUntil: new Date(Date.now() - 1_000),
      expiresAt: new Date(Date.now() + 3_600_000),
    },
  });
  const manifest = await finished(`${stack.fhirBase}/$export-status/${id}`, tokens['ne']!);
  const ids = (await exported(manifest, tokens['ne']!)).map((p) => p.id).sort();
  expect(ids).toEqual([...registered['north-east']!].sort());
});

it('_since keeps the patients changed at or after the instant', async () => {
  const since = new Date(Date.now() - 1).toISOString();
  const late = await register('A83001');
  const k = await kickOff(
    `Group/region-north-east/$export?_type=Patient&_since=${encodeURIComponent(since)}`,
    tokens['ne']!,
  );
  expect(k.status).toBe(202);
  const manifest = await finished(k.headers.get('content-location')!, tokens['ne']!);
  expect((await exported(manifest, tokens['ne']!)).map((p) => p.id)).toEqual([late]);
});
