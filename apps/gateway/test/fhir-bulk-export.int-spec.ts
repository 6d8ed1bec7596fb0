// FHIR Bulk Data $export (issue 21) through the gateway and the real platforms: the north-east
// authority's export holds exactly the north-east patients this test registered (its own records,
// 999-range NHS numbers from the test allocator) and exactly their referrals, appointments,
// reports and observations, each NDJSON line valid FHIR; _type and _since filter; a restricted
// north-east patient (and their records) only with trellis/restricted.read; another region's
// authority cannot see the job or its files; bad kick-offs are 4xx OperationOutcomes.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { faker } from '@faker-js/faker/locale/en_GB';
import type { Patient, Reference, Resource } from '@medplum/fhirtypes';
import { events } from '@trellis/contracts';
import { pollUntil } from '@trellis/testing';

import { GatewayPrismaService } from '../src/app/database/gateway-prisma.service';
import { ExportJobs } from '../src/app/fhir/export/export.jobs';
import { ExportJobsRepository } from '../src/app/fhir/export/export-jobs.repository';
import { startFhirStack, type FhirStack } from './fhir.harness';
import { expectValid } from './support/fhir-assertions';
import { ExportRecords, type PatientRecords } from './support/export-records';
import { getToken, onboardingOf, registerClient } from './support/harness';

// five platforms boot in beforeAll: minutes on a saturated shared machine
jest.setTimeout(600_000);

const full = JSON.parse(
  readFileSync(join(__dirname, 'fixtures/ok/patient-full.json'), 'utf8'),
) as Patient;

let stack: FhirStack;
let registrar: string;
const tokens: Record<string, string> = {};
const registered: Record<string, string[]> = { 'north-east': [], london: [], restricted: [] };
/** Clinical records of some patients of each group (NHS number → its records). */
const records: Record<string, Map<string, PatientRecords>> = {
  'north-east': new Map(),
  london: new Map(),
  restricted: new Map(),
};
const READS = [
  'system/Patient.r',
  'system/ServiceRequest.r',
  'system/Appointment.r',
  'system/DiagnosticReport.r',
  'system/Observation.r',
];

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

async function exported(manifest: Manifest, token: string): Promise<Resource[]> {
  const out: Resource[] = [];
  for (const f of manifest.output) {
    const r = await call(f.url, token);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('application/fhir+ndjson');
    const lines = (await r.text()).split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(f.count);
    for (const line of lines) {
      const resource = JSON.parse(line) as Resource;
      expect(resource.resourceType).toBe(f.type);
      expectValid(resource);
      out.push(resource);
    }
  }
  return out;
}

const idsOf = (resources: readonly Resource[], type: string) =>
  resources
    .filter((r) => r.resourceType === type)
    .map((r) => r.id!)
    .sort();
const patientIds = (resources: readonly Resource[]) => idsOf(resources, 'Patient');

/** The NHS number a resource is about (subject, or an Appointment's patient participant). */
function patientOf(r: Resource): string {
  const ref: Reference | undefined =
    r.resourceType === 'Patient'
      ? { reference: `Patient/${r.id!}` }
      : r.resourceType === 'Appointment'
        ? r.participant?.find((p) => p.actor?.reference?.startsWith('Patient/'))?.actor
        : (r as { subject?: Reference }).subject;
  return ref?.reference?.replace(/^Patient\//, '') ?? ref?.identifier?.value ?? '';
}

/** What an export of `groups` must hold, by type, from the test's own records. */
function expected(groups: string[]): Record<string, unknown> {
  const recs = groups.flatMap((g) => [...records[g]!.values()]);
  return {
    Patient: groups.flatMap((g) => registered[g]!).sort(),
    ServiceRequest: recs.map((r) => r.referral).sort(),
    Appointment: recs.map((r) => r.appointment).sort(),
    DiagnosticReport: recs.map((r) => r.report).sort(),
    Observation: recs.reduce((n, r) => n + r.observations, 0),
  };
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
    {
      referrals: true,
      appointments: true,
      results: true,
      // a cold platform on a saturated machine can take more than the default 5 s deadline
      gatewayEnv: {
        FHIR_EXPORT_PAGE_SIZE: '3',
        FHIR_EXPORT_POLL_MS: '200',
        FHIR_PLATFORM_DEADLINE_MS: '30000',
      },
    },
  );
  registrar = (await stack.token(['system/Patient.cruds', 'trellis/restricted.read'], 'A81001'))
    .token;
  const exportScopes = (r: string) => [`region/${r}/population.read`, ...READS];
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
  tokens['patientsOnly'] = await authority('YRA01', 'north-east', [
    'region/north-east/population.read',
    'system/Patient.r',
  ]);
  const seed = new ExportRecords(stack.fhirBase, {
    gp: (
      await stack.token(
        [
          'system/Patient.r',
          'system/ServiceRequest.crus',
          'system/Appointment.crus',
          'trellis/restricted.read',
        ],
        'A81001',
      )
    ).token,
    hospital: (await stack.token(['system/Schedule.crs', 'system/Slot.crs'], 'RR8')).token,
    lab: (
      await stack.token(
        ['system/Patient.r', 'system/DiagnosticReport.crus', 'trellis/restricted.read'],
        'RR8',
      )
    ).token,
  });
  // four north-east patients (over two pages of identity at page size 3), one of london's and
  // the restricted one have records; the other north-east patients have none
  const withRecords: Array<[string, string]> = [
    ...registered['north-east']!.slice(1, 5).map((n) => ['north-east', n] as [string, string]),
    ['london', registered['london']![0]!],
    ['restricted', registered['restricted']![0]!],
  ];
  for (const [group, nhs] of withRecords) records[group]!.set(nhs, await seed.all(nhs));
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
  const all = await exported(manifest, tokens['ne']!);
  expect(new Set(all.map((r) => r.resourceType))).toEqual(new Set(['Patient']));
  // no restricted patient without trellis/restricted.read, none of london's
  expect(patientIds(all)).toEqual([...registered['north-east']!].sort());

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

function byType(all: readonly Resource[]): Record<string, unknown> {
  return {
    Patient: patientIds(all),
    ServiceRequest: idsOf(all, 'ServiceRequest'),
    Appointment: idsOf(all, 'Appointment'),
    DiagnosticReport: idsOf(all, 'DiagnosticReport'),
    Observation: all.filter((r) => r.resourceType === 'Observation').length,
  };
}

it("north-east's full export holds exactly its patients' referrals, appointments, reports and observations", async () => {
  const k = await kickOff('Group/region-north-east/$export', tokens['ne']!);
  expect(k.status).toBe(202);
  const manifest = await finished(k.headers.get('content-location')!, tokens['ne']!);
  expect(manifest.error).toEqual([]);
  const all = await exported(manifest, tokens['ne']!);
  expect(byType(all)).toEqual(expected(['north-east']));
  // every resource is about a north-east patient: none of london's, not the restricted one
  const ne = new Set(registered['north-east']);
  expect(all.map(patientOf).filter((nhs) => !ne.has(nhs))).toEqual([]);
  // files per type, in export order: Patient first, each file one type
  expect(manifest.output[0]!.type).toBe('Patient');
  expect(new Set(manifest.output.map((o) => o.type))).toEqual(
    new Set(['Patient', 'ServiceRequest', 'Appointment', 'DiagnosticReport', 'Observation']),
  );
});

it('_type exports just those types; without _type, just the types the caller may read', async () => {
  const k = await kickOff(
    'Group/region-north-east/$export?_type=ServiceRequest,Observation',
    tokens['ne']!,
  );
  const manifest = await finished(k.headers.get('content-location')!, tokens['ne']!);
  const all = await exported(manifest, tokens['ne']!);
  const want = expected(['north-east']);
  expect(byType(all)).toEqual({
    Patient: [],
    ServiceRequest: want['ServiceRequest'],
    Appointment: [],
    DiagnosticReport: [],
    Observation: want['Observation'],
  });
  const p = await kickOff('Group/region-north-east/$export', tokens['patientsOnly']!);
  const onlyPatients = await exported(
    await finished(p.headers.get('content-location')!, tokens['patientsOnly']!),
    tokens['patientsOnly']!,
  );
  expect(byType(onlyPatients)).toEqual({ ...byType([]), Patient: want['Patient'] });
});

it('_since with other types: records changed since, of every north-east patient', async () => {
  const since = new Date(Date.now() - 1).toISOString();
  const seed = new ExportRecords(stack.fhirBase, {
    gp: (await stack.token(['system/Patient.r', 'system/ServiceRequest.crus'], 'A81001')).token,
    hospital: '',
    lab: '',
  });
  // a patient whose own record has not changed since, and a london patient
  const fresh = await seed.referral(registered['north-east']![0]!);
  await seed.referral(registered['london']![1]!);
  const k = await kickOff(
    `Group/region-north-east/$export?_type=Patient,ServiceRequest,Appointment&_since=${encodeURIComponent(since)}`,
    tokens['ne']!,
  );
  const all = await exported(
    await finished(k.headers.get('content-location')!, tokens['ne']!),
    tokens['ne']!,
  );
  expect(byType(all)).toEqual({ ...byType([]), ServiceRequest: [fresh] });
});

it('with trellis/restricted.read the restricted north-east patient and their records are exported too', async () => {
  const k = await kickOff('Group/region-north-east/$export', tokens['neRestricted']!);
  expect(k.status).toBe(202);
  const manifest = await finished(k.headers.get('content-location')!, tokens['neRestricted']!);
  const all = await exported(manifest, tokens['neRestricted']!);
  const want = expected(['north-east', 'restricted']);
  const got = byType(all);
  expect(got['Patient']).toEqual(want['Patient']);
  expect(got['DiagnosticReport']).toEqual(want['DiagnosticReport']);
  // the restricted patient's referral is among them (the _since test added one more north-east)
  const referral = records['restricted']!.get(registered['restricted']![0]!)!.referral;
  expect(got['ServiceRequest']).toContain(referral);
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
    ['Group/region-north-east/$export?_type=Schedule', tokens['ne']!, 'respond-async', 400],
    [
      'Group/region-north-east/$export?_type=Appointment',
      tokens['patientsOnly']!,
      'respond-async',
      403,
    ],
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

it('a job outgrowing its byte cap fails too-costly (422 at the status URL) and its files go', async () => {
  const c = claims(tokens['ne']!);
  const id = randomUUID();
  const prisma = onboardingOf(stack.gw).prisma;
  const job = await prisma.bulkExportJob.create({
    data: {
      ...{ id, ownerSystemId: c.sub, scopes: c.scope.split(' '), ownerOdsCode: c.ods_code },
      ...{ ownerRegion: c.region, region: 'north-east', types: ['Patient'], status: 'running' },
      request: `${stack.fhirBase}/Group/region-north-east/$export`,
      leaseUntil: new Date(Date.now() + 600_000), // held: the worker leaves it alone
      expiresAt: new Date(Date.now() + 3_600_000),
    },
  });
  const jobs = new ExportJobs(new ExportJobsRepository(prisma as unknown as GatewayPrismaService));
  const page = (last: boolean) => ({
    files: [{ type: 'Patient', lines: ['x'.repeat(600)] }],
    cursor: '',
    last,
  });
  expect(await jobs.savePage(job, page(false), 1_000)).toBe('saved');
  expect((await jobs.retained()).bytes).toBeGreaterThanOrEqual(601);
  expect(await jobs.savePage(job, page(true), 1_000)).toBe('too-large');
  expect(await prisma.bulkExportFile.count({ where: { jobId: id } })).toBe(0);
  const r = await call(`${stack.fhirBase}/$export-status/${id}`, tokens['ne']!);
  expect(r.status).toBe(422);
  const o = (await r.json()) as { issue: Array<{ code: string; diagnostics: string }> };
  expect(o.issue[0]).toMatchObject({ code: 'too-costly' });
  expect(o.issue[0]!.diagnostics).toContain('exceeds 1000 bytes');
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
  expect(patientIds(await exported(manifest, tokens['ne']!))).toEqual(
    [...registered['north-east']!].sort(),
  );
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
  expect(patientIds(await exported(manifest, tokens['ne']!))).toEqual([late]);
});
