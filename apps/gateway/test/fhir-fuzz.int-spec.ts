// Property-based fuzzer over the FHIR facade and its OpenAPI document (issue 14): every create,
// update and operation route gets bodies mutated from valid seeds (a wrong JSON type in every
// element, huge strings, deep nesting, unicode, NUL, non-JSON), every read/search route mutated
// ids and search parameters. Property: no answer >= 500, every error an OperationOutcome that
// passes the FHIR validator. Bounded (TRELLIS_FUZZ_RUNS random requests + a sweep), seeded
// (TRELLIS_FUZZ_SEED replays a run), counts printed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';

import { startFhirStack, type FhirStack } from './fhir.harness';
import { assertion, registerClient, type AssertionOverrides } from './support/harness';
import {
  elementNames,
  FuzzTally,
  idValue,
  mutatedBody,
  operationsOf,
  pathsOf,
  queryString,
  rawBody,
  setAt,
  type ApiOperation,
  type FuzzRequest,
  type Json,
} from './support/fuzz';

jest.setTimeout(420_000);

const SEED = Number(process.env['TRELLIS_FUZZ_SEED'] ?? 20261206);
const RUNS = Number(process.env['TRELLIS_FUZZ_RUNS'] ?? 2000);
const BUDGET_MS = Number(process.env['TRELLIS_FUZZ_BUDGET_MS'] ?? 120_000);
const CONCURRENCY = 4;
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';

let stack: FhirStack;
/** The referring GP practice (ServiceRequest routes) and the hospital/lab (everything else). */
let gp: string;
let hospital: string;

const fixture = (f: string) =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', f), 'utf8')) as Record<string, Json>;

async function send(
  r: FuzzRequest,
): Promise<{ status: number; contentType: string; body: string }> {
  const res = await fetch(`${stack.gw.baseUrl}${r.path}`, {
    method: r.method,
    headers: {
      authorization: `Bearer ${r.path.startsWith('/fhir/ServiceRequest') ? gp : hospital}`,
      ...r.headers,
    },
    ...(r.body !== undefined ? { body: r.body } : {}),
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    body: await res.text(),
  };
}

async function created(path: string, body: unknown): Promise<string | undefined> {
  const r = await send({
    kind: 'seed',
    method: 'POST',
    path: `/fhir/${path}`,
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 201 && r.status !== 200) {
    process.stdout.write(`fuzz seed ${path}: ${r.status} ${r.body.slice(0, 300)}\n`);
    return undefined;
  }
  return (JSON.parse(r.body) as { id?: string }).id;
}

interface Seeds {
  bodies: Record<string, Json>;
  ids: Record<string, string[]>;
}

async function makeSeeds(): Promise<Seeds> {
  const patient = fixture('ok/patient-minimal.json');
  const nhs = (await created('Patient', patient)) ?? '9434765919';
  const subject = { reference: `Patient/${nhs}` };
  const sr = {
    ...(fixture('not-ok/sr-priority-stat.json')['resource'] as Record<string, Json>),
    priority: 'routine',
    subject,
    // the performer's region as the ODS reference data holds it
    performer: [
      {
        type: 'Organization',
        identifier: { system: ODS, value: 'RR8' },
        extension: [
          {
            url: 'https://fhir.trellis.nhs.uk/StructureDefinition/region',
            valueCode: 'yorkshire',
          },
        ],
      },
    ],
  };
  const dr = JSON.parse(
    JSON.stringify(fixture('ok/diagnostic-report.json')).replaceAll(
      'Patient/9434765919',
      `Patient/${nhs}`,
    ),
  ) as Record<string, Json>;
  const schedule = {
    resourceType: 'Schedule',
    actor: [{ type: 'Organization', identifier: { system: ODS, value: 'RR8' } }],
    serviceType: [{ coding: [{ code: 'fuzz-clinic' }], text: 'fuzz-clinic' }],
  };
  const scheduleId =
    (await created('Schedule', schedule)) ?? '00000000-0000-4000-8000-000000000000';
  const start = new Date(Date.now() + 3 * 86_400_000);
  start.setUTCHours(9, 0, 0, 0);
  const slot = {
    resourceType: 'Slot',
    schedule: { reference: `Schedule/${scheduleId}` },
    status: 'free',
    start: start.toISOString(),
    end: new Date(start.getTime() + 15 * 60_000).toISOString(),
  };
  const slotId = (await created('Slot', slot)) ?? '00000000-0000-4000-8000-000000000001';
  const parameters: Json = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'slot', valueReference: { reference: `Slot/${slotId}` } },
      { name: 'patient', valueReference: subject },
      { name: 'idempotency-key', valueString: 'fuzz-booking-0001' },
      { name: 'reason', valueString: 'fuzz' },
    ],
  };
  const appointmentId = await created('Appointment/$book', parameters);
  const documentReference = {
    resourceType: 'DocumentReference',
    status: 'current',
    type: { coding: [{ system: 'http://snomed.info/sct', code: '736253002' }] },
    subject: { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhs } },
    content: [
      { attachment: { contentType: 'application/pdf', url: 'https://epr.example.nhs.uk/d/1' } },
    ],
  };
  const pointerId = await created('DocumentReference', documentReference);
  const srId = await created('ServiceRequest', sr);
  const drId = await created('DiagnosticReport', dr);
  const some = (...ids: Array<string | undefined>) => ids.filter((i): i is string => !!i);
  return {
    bodies: {
      Patient: { ...patient, id: nhs },
      ServiceRequest: srId ? { ...sr, id: srId } : sr,
      DiagnosticReport: drId ? { ...dr, id: drId } : dr,
      Schedule: schedule,
      Slot: slot,
      Parameters: parameters,
      DocumentReference: documentReference,
    },
    ids: {
      Patient: [nhs],
      ServiceRequest: some(srId),
      DiagnosticReport: some(drId),
      Observation: some(drId && `${drId}-0`),
      Schedule: [scheduleId],
      Slot: [slotId],
      Appointment: some(appointmentId),
      DocumentReference: some(pointerId),
      OperationDefinition: ['patient-everything'],
    },
  };
}

/** The seed body an operation takes: its resource, or Parameters for a `$operation`. */
function bodyType(op: ApiOperation): string {
  return op.path.includes('$') ? 'Parameters' : op.resource;
}

function fillPath(op: ApiOperation, id: string, vid: string): string {
  return op.path.replace('{id}', id).replace('{vid}', vid);
}

/** Random requests for one operation of the OpenAPI document. */
function requestsFor(op: ApiOperation, seeds: Seeds): fc.Arbitrary<FuzzRequest> {
  const real = seeds.ids[op.resource]?.length ? seeds.ids[op.resource]! : ['1'];
  const vid = fc.oneof(fc.constantFrom('1', '2', '999999999'), idValue(['0', '-1']));
  const url = fc
    .tuple(
      idValue(real),
      vid,
      op.query.length || op.method === 'GET' ? queryString(op.query) : fc.constant(''),
    )
    .map(([id, v, q]) => `${fillPath(op, id, v)}${q ? `?${q}` : ''}`);
  if (!op.hasBody)
    return url.map((path) => ({
      kind: `url ${op.resource}`,
      method: op.method,
      path,
      headers: {},
    }));
  const type = bodyType(op);
  const seed = seeds.bodies[type] ?? { resourceType: type };
  const ifMatch = fc.constantFrom<Record<string, string>>(
    { 'if-match': 'W/"1"' },
    {},
    { 'if-match': 'nonsense' },
  );
  const json = fc.tuple(url, mutatedBody(seed, type), ifMatch).map(([path, body, h]) => ({
    kind: `body ${op.resource}`,
    method: op.method,
    path,
    headers: { 'content-type': 'application/fhir+json', ...h },
    body: JSON.stringify(body),
  }));
  const raw = fc.tuple(url, rawBody).map(([path, b]) => ({
    kind: `raw body ${op.resource}`,
    method: op.method,
    path,
    headers: { 'content-type': b.contentType },
    body: b.body,
  }));
  return fc.oneof({ weight: 5, arbitrary: json }, { weight: 1, arbitrary: raw });
}

/** Every top-level element gets each of these; nested paths get one, in turn, of SWEEP_MORE too. */
const SWEEP_VALUES: Json[] = ['', {}, [], 7, true, null];
const SWEEP_MORE: Json[] = [...SWEEP_VALUES, 'a\u0000b', 'x'.repeat(20_000), '\ud800'];

/** Deterministic sweep: each wrong JSON type in every element of every body route's resource. */
function sweep(ops: ApiOperation[], seeds: Seeds): FuzzRequest[] {
  const out: FuzzRequest[] = [];
  let turn = SEED;
  for (const op of ops.filter((o) => o.hasBody)) {
    const type = bodyType(op);
    const seed = seeds.bodies[type];
    if (!seed) continue;
    const path = fillPath(op, seeds.ids[op.resource]?.[0] ?? '1', '1');
    const push = (body: Json) =>
      out.push({
        kind: `sweep ${op.resource}`,
        method: op.method,
        path,
        headers: { 'content-type': 'application/fhir+json', 'if-match': 'W/"1"' },
        body: JSON.stringify(body),
      });
    if (type !== 'Parameters')
      for (const name of elementNames(type).filter((n) => n !== 'resourceType'))
        for (const v of SWEEP_VALUES) push(setAt(seed, [name], v));
    for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty'])
      for (const at of [
        [key],
        ...pathsOf(seed)
          .filter((p) => p.length === 2 && typeof p[1] === 'number')
          .slice(0, 2)
          .map((p) => [...p, key]),
      ])
        push(setAt(seed, at, 1));
    for (const target of pathsOf(seed))
      push(setAt(seed, target, SWEEP_MORE[turn++ % SWEEP_MORE.length]!));
  }
  return out;
}

async function runAll(
  requests: FuzzRequest[],
  tally: FuzzTally,
  deadline: number,
): Promise<number> {
  let i = 0;
  let skipped = 0;
  const worker = async () => {
    while (i < requests.length) {
      const r = requests[i++]!;
      if (Date.now() > deadline) {
        skipped++;
        continue;
      }
      const res = await send(r);
      tally.record(r, res.status, res.contentType, res.body);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return skipped;
}

beforeAll(async () => {
  stack = await startFhirStack({}, { results: true, referrals: true, appointments: true });
  const scopes = [
    'system/Patient.cruds',
    'system/ServiceRequest.cruds',
    'system/DiagnosticReport.cruds',
    'system/Observation.rs',
    'system/Schedule.crs',
    'system/Slot.crs',
    'system/Appointment.cruds',
    'system/DocumentReference.cruds',
  ];
  ({ token: gp } = await stack.token(scopes, 'A81001'));
  ({ token: hospital } = await stack.token(scopes, 'RR8'));
});
afterAll(async () => {
  await stack?.stop();
});

it('fuzzes every route of the OpenAPI document: no 5xx, every error a valid OperationOutcome', async () => {
  const doc = (await (await fetch(`${stack.fhirBase}/openapi.json`)).json()) as Parameters<
    typeof operationsOf
  >[0];
  const ops = operationsOf(doc);
  expect(ops.length).toBeGreaterThanOrEqual(30);
  const seeds = await makeSeeds();
  const tally = new FuzzTally();
  const t0 = Date.now();
  const deadline = t0 + BUDGET_MS;
  const swept = sweep(ops, seeds);
  const random = fc.sample(fc.oneof(...ops.map((op) => requestsFor(op, seeds))), {
    seed: SEED,
    numRuns: RUNS,
  });
  const skipped = await runAll([...swept, ...random], tally, deadline);
  const report = tally.report(SEED, Date.now() - t0);
  process.stdout.write(
    `${report}\n  sweep: ${swept.length}, random: ${random.length}, skipped (time budget): ${skipped}\n`,
  );
  for (const f of tally.failures.slice(0, 5))
    process.stdout.write(
      `  FAILURE ${f.status} ${f.why}: ${f.request.method} ${f.request.path.slice(0, 200)} body=${(f.request.body ?? '').slice(0, 300)} → ${f.body.slice(0, 300)}\n`,
    );
  expect(tally.requests).toBeGreaterThan(500);
  expect(tally.serverErrors).toBe(0);
  expect(
    tally.failures.map(
      (f) => `${f.status} ${f.why} ${f.request.method} ${f.request.path.slice(0, 120)}`,
    ),
  ).toEqual([]);
});

const OAUTH_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'invalid_scope',
  'unsupported_grant_type',
  'rate_limited',
]);

it('fuzzes the token endpoint: no 5xx, every refusal RFC 6749 JSON', async () => {
  const b64 = (v: string) => Buffer.from(v).toString('base64url');
  const jwtish = fc
    .tuple(fc.json({ maxDepth: 2 }), fc.json({ maxDepth: 2 }), fc.string({ maxLength: 40 }))
    .map(([h, p, sig]) => `${b64(h)}.${b64(p)}.${b64(sig)}`);
  const value = fc.oneof(
    fc.constantFrom(
      'client_credentials',
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      'system/Patient.r',
      '',
      '\u0000',
    ),
    fc.string({ maxLength: 60 }),
    jwtish,
  );
  const name = fc.constantFrom(
    'grant_type',
    'client_assertion_type',
    'client_assertion',
    'scope',
    'client_id',
    'client_secret',
  );
  // real signed assertions of a registered client, valid or off in one claim or header each
  const client = await registerClient(stack.gw, {
    scopes: ['system/Patient.r'],
    odsCode: 'A81001',
  });
  const variants: AssertionOverrides[] = [
    {},
    { omit: ['kid'] },
    { iatInSeconds: 120 },
    { expInSeconds: 900 },
    { expInSeconds: -30 },
    { aud: 'https://elsewhere.example/token' },
    { sub: 'someone-else' },
    { kid: 'unknown' },
    { omit: ['jti'] },
  ];
  const signed = await Promise.all(
    variants.flatMap((o) => [0, 1].map(() => assertion(client, stack.gw.tokenUrl, o))),
  );
  const skeleton: Array<[string, fc.Arbitrary<string>]> = [
    ['grant_type', fc.constantFrom('client_credentials')],
    [
      'client_assertion_type',
      fc.constantFrom('urn:ietf:params:oauth:client-assertion-type:jwt-bearer'),
    ],
    ['client_assertion', fc.oneof(fc.constantFrom(...signed), jwtish)],
    [
      'scope',
      fc.constantFrom('system/Patient.r', 'system/Patient.rs', 'system/*.*', 'nonsense scope'),
    ],
  ];
  const base = fc.tuple(...skeleton.map(([k, v]) => v.map((x): [string, string] => [k, x])));
  const mutation = fc.oneof(
    fc.constant((pairs: Array<[string, string]>) => pairs),
    fc.tuple(fc.nat(3), value).map(
      ([i, v]) =>
        (pairs: Array<[string, string]>) =>
          pairs.map((p, j): [string, string] => (j === i ? [p[0], v] : p)),
    ),
    fc.nat(3).map((i) => (pairs: Array<[string, string]>) => pairs.filter((_p, j) => j !== i)),
    fc
      .tuple(name, value)
      .map(([k, v]) => (pairs: Array<[string, string]>) => [...pairs, [k, v] as [string, string]]),
  );
  const form = fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(base, mutation)
        .map(([pairs, m]) => new URLSearchParams(m(pairs)).toString()),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(name, value), { maxLength: 6 })
        .map((pairs) => new URLSearchParams(pairs).toString()),
    },
  );
  const request = fc.oneof(
    {
      weight: 8,
      arbitrary: form.map((body) => ({ body, type: 'application/x-www-form-urlencoded' })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { body: '{"grant_type":"client_credentials"}', type: 'application/json' },
        { body: `a=${'b'.repeat(100_000)}`, type: 'application/x-www-form-urlencoded' },
        { body: '%%%&&&===', type: 'application/x-www-form-urlencoded' },
        { body: 'grant_type=client_credentials', type: 'text/plain' },
      ),
    },
  );
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  for (const r of fc.sample(request, { seed: SEED, numRuns: 300 })) {
    const res = await fetch(stack.gw.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': r.type },
      body: r.body,
    });
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const text = await res.text();
    let error: unknown;
    try {
      error = (JSON.parse(text) as { error?: unknown }).error;
    } catch {
      error = undefined;
    }
    const challenge = res.status !== 401 || res.headers.get('www-authenticate') !== null;
    if (res.status >= 500 || (res.status >= 400 && !OAUTH_ERRORS.has(String(error))) || !challenge)
      failures.push(`${res.status} ${text.slice(0, 120)} ← ${r.type} ${r.body.slice(0, 120)}`);
  }
  process.stdout.write(
    `token endpoint fuzz: seed ${SEED}, 300 requests, by status ${JSON.stringify(Object.fromEntries(statuses))}\n`,
  );
  expect(failures).toEqual([]);
});
