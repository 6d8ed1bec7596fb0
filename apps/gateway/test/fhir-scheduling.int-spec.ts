import { fakerEN_GB as faker } from '@faker-js/faker';
import type {
  Appointment,
  Bundle,
  OperationDefinition,
  OperationOutcome,
  Patient,
  Resource,
  Schedule,
  Slot,
} from '@medplum/fhirtypes';
import { events } from '@trellis/contracts';
import { rulesOf } from '@trellis/fhir';
import { Client } from 'fhir-kit-client';

import { collect, startFhirStack, type FhirStack } from './fhir.harness';
import { waitFor } from './support/harness';
import { asBody, asPage, expectValid } from './support/fhir-assertions';

jest.setTimeout(180_000);

const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const SCHEDULE_REQUEST = 'https://fhir.trellis.nhs.uk/Id/schedule-request';
const SLOT_REQUEST = 'https://fhir.trellis.nhs.uk/Id/slot-request';
const GMC = 'https://fhir.hl7.org.uk/Id/gmc-number';

interface Answer<T = Resource> {
  status: number;
  headers: Headers;
  body: T;
}

let stack: FhirStack;
/** Hospital RR8: owns schedules and slots, records attendance. */
let hospital: string;
/** GP practice A81001: registers patients, books, reads. */
let gp: string;
/** Another GP practice: not involved in the bookings. */
let stranger: string;
/** Reads schedules and slots only. */
let reader: string;

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
  return { status: res.status, headers: res.headers, body: answer };
}

/** Status, rule ids and expressions of a refusal. */
function refusal(a: Answer): { status: number; rules: string[]; expressions: string[] } {
  const o = a.body as OperationOutcome;
  expect(o.resourceType).toBe('OperationOutcome');
  return {
    status: a.status,
    rules: rulesOf(o),
    expressions: (o.issue ?? []).flatMap((i) => i.expression ?? []),
  };
}

function scheduleBody(serviceType: string, ods = 'RR8'): Schedule {
  return {
    resourceType: 'Schedule',
    actor: [{ type: 'Organization', identifier: { system: ODS, value: ods } }],
    serviceType: [{ coding: [{ code: serviceType }], text: serviceType }],
    specialty: [{ text: 'cardiology' }],
    comment: `${faker.person.lastName()} clinic`,
  };
}

/** A slot `day` days ahead at 09:00 + `index` quarter hours (UTC). */
function slotBody(scheduleId: string, day: number, index: number, status = 'free'): Slot {
  const start = new Date(Date.now() + day * 86_400_000);
  start.setUTCHours(9, 15 * index, 0, 0);
  return {
    resourceType: 'Slot',
    schedule: { reference: `Schedule/${scheduleId}` },
    status: status as Slot['status'],
    start: start.toISOString(),
    end: new Date(start.getTime() + 15 * 60_000).toISOString(),
  };
}

async function createSchedule(serviceType: string): Promise<Schedule> {
  const r = await http<Schedule>('POST', 'Schedule', hospital, scheduleBody(serviceType));
  expect(r.status).toBe(201);
  return r.body;
}

async function createSlot(scheduleId: string, day: number, index: number): Promise<Slot> {
  const r = await http<Slot>('POST', 'Slot', hospital, slotBody(scheduleId, day, index));
  expect(r.status).toBe(201);
  return r.body;
}

/** A 15-minute slot starting `minutes` from now (inside the 2-hour arrival window). */
async function createSlotSoon(scheduleId: string, minutes: number): Promise<Slot> {
  const start = new Date(Date.now() + minutes * 60_000);
  start.setUTCSeconds(0, 0);
  const body = {
    ...slotBody(scheduleId, 0, 0),
    start: start.toISOString(),
    end: new Date(start.getTime() + 15 * 60_000).toISOString(),
  };
  const r = await http<Slot>('POST', 'Slot', hospital, body);
  expect(r.status).toBe(201);
  return r.body;
}

async function registerPatient(): Promise<string> {
  const client = new Client({ baseUrl: stack.fhirBase, bearerToken: gp });
  const p = (await client.create({
    resourceType: 'Patient',
    body: asBody({
      resourceType: 'Patient',
      name: [{ family: faker.person.lastName(), given: [faker.person.firstName()] }],
      gender: 'female',
      birthDate: faker.date.birthdate({ min: 20, max: 80, mode: 'age' }).toISOString().slice(0, 10),
    }),
  })) as unknown as Patient;
  return p.id!;
}

async function book(slotId: string, nhs: string): Promise<Appointment> {
  const r = await http<Appointment>('POST', 'Appointment/$book', gp, {
    resourceType: 'Parameters',
    parameter: [
      { name: 'slot', valueReference: { reference: `Slot/${slotId}` } },
      { name: 'patient', valueReference: { reference: `Patient/${nhs}` } },
      { name: 'idempotency-key', valueString: `sched-${slotId}` },
    ],
  });
  expect(r.status).toBe(201);
  return r.body;
}

const op = (name: string, token: string, id: string, params: unknown[] = [], ifMatch?: string) =>
  http<Appointment>(
    'POST',
    `Appointment/${id}/$${name}`,
    token,
    { resourceType: 'Parameters', parameter: params },
    ifMatch ? { 'if-match': ifMatch } : {},
  );

beforeAll(async () => {
  stack = await startFhirStack({}, { appointments: true });
  ({ token: hospital } = await stack.token(
    ['system/Schedule.crs', 'system/Slot.crs', 'system/Appointment.rus'],
    'RR8',
  ));
  ({ token: gp } = await stack.token(
    ['system/Patient.cruds', 'system/Appointment.crus', 'system/Schedule.rs', 'system/Slot.rs'],
    'A81001',
  ));
  ({ token: stranger } = await stack.token(['system/Appointment.rs'], 'B82001'));
  ({ token: reader } = await stack.token(['system/Schedule.rs', 'system/Slot.rs'], 'A81001'));
});

afterAll(async () => {
  await stack?.stop();
});

describe('Schedule over FHIR → appointments CreateSchedule / GetSchedule / ListSchedules', () => {
  it("creates a schedule for the caller's organisation: 201, Location, ETag; reads it back", async () => {
    const created = await http<Schedule>('POST', 'Schedule', hospital, scheduleBody('cardio-opd'));
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.headers.get('location')).toBe(`${stack.fhirBase}/Schedule/${created.body.id}`);
    expect(created.body).toMatchObject({
      actor: [{ identifier: { system: ODS, value: 'RR8' } }],
      serviceType: [{ text: 'cardio-opd' }],
      meta: { versionId: '1' },
    });
    const read = await http<Schedule>('GET', created.headers.get('location')!, reader);
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(created.body.id);
    expect(read.headers.get('etag')).toBe('W/"1"');
  });

  it('replays a creation with the same schedule-request identifier; If-None-Exist finds it', async () => {
    const key = `clinic-${faker.string.alphanumeric(10)}`;
    const body = {
      ...scheduleBody('idem-clinic'),
      identifier: [{ system: SCHEDULE_REQUEST, value: key }],
    };
    const first = await http<Schedule>('POST', 'Schedule', hospital, body);
    expect(first.status).toBe(201);
    expect(first.body.identifier).toEqual([{ system: SCHEDULE_REQUEST, value: key }]);
    const again = await http<Schedule>('POST', 'Schedule', hospital, body);
    expect([again.status, again.body.id]).toEqual([200, first.body.id]);
    const reused = await http('POST', 'Schedule', hospital, { ...body, comment: 'another clinic' });
    expect(refusal(reused)).toMatchObject({
      status: 409,
      rules: ['platform.idempotency-key-reused'],
    });
    // conditional create: one match → 200 with it, no second schedule
    const conditional = await http<Schedule>(
      'POST',
      'Schedule',
      hospital,
      scheduleBody('idem-clinic'),
      { 'if-none-exist': `identifier=${SCHEDULE_REQUEST}|${key}` },
    );
    expect([conditional.status, conditional.body.id]).toEqual([200, first.body.id]);
    expect(conditional.headers.get('content-location')).toBe(
      `${stack.fhirBase}/Schedule/${first.body.id}`,
    );
    // no match → created; several matches → 412
    const fresh = await http<Schedule>('POST', 'Schedule', hospital, scheduleBody('idem-clinic'), {
      'if-none-exist': `identifier=${SCHEDULE_REQUEST}|other-${key}`,
    });
    expect(fresh.status).toBe(201);
    const several = await http('POST', 'Schedule', hospital, scheduleBody('idem-clinic'), {
      'if-none-exist': 'service-type=idem-clinic',
    });
    expect(refusal(several)).toMatchObject({
      status: 412,
      rules: ['conditional-create.multiple-matches'],
    });
    const unsupported = await http('POST', 'Schedule', hospital, scheduleBody('idem-clinic'), {
      'if-none-exist': 'name=x',
    });
    expect(refusal(unsupported)).toEqual({
      status: 400,
      rules: ['search.unknown-parameter'],
      expressions: ['name'],
    });
    const found = await http<Bundle>(
      'GET',
      `Schedule?identifier=${SCHEDULE_REQUEST}|${key}`,
      reader,
    );
    expect(found.body.entry!.map((e) => e.resource!.id)).toEqual([first.body.id]);
    // 20 concurrent identical creations: one 201, nineteen 200 with the same schedule
    const raceBody = { ...body, identifier: [{ system: SCHEDULE_REQUEST, value: `race-${key}` }] };
    const race = await Promise.all(
      Array.from({ length: 20 }, () => http<Schedule>('POST', 'Schedule', hospital, raceBody)),
    );
    expect(race.map((r) => r.status).sort()).toEqual([...Array<number>(19).fill(200), 201]);
    expect(new Set(race.map((r) => r.body.id)).size).toBe(1);
    // the key is the creating organisation's: the same key elsewhere is a different schedule
    const { token: gpScheduler } = await stack.token(['system/Schedule.c'], 'A81001');
    const gpOwn = await http<Schedule>('POST', 'Schedule', gpScheduler, {
      ...body,
      actor: [{ type: 'Organization', identifier: { system: ODS, value: 'A81001' } }],
    });
    expect(gpOwn.status).toBe(201);
    expect(gpOwn.body.id).not.toBe(first.body.id);
  });

  it('refuses bad bodies with one issue per problem (rule id + expression), another organisation, a missing scope', async () => {
    const noActor = await http('POST', 'Schedule', hospital, {
      resourceType: 'Schedule',
      actor: [{ display: 'Cardiology' }],
      serviceType: [{ text: 'has spaces' }],
    });
    expect(refusal(noActor)).toEqual({
      status: 422,
      rules: ['schedule.actor', 'schedule.practitioner', 'schedule.service-type'],
      expressions: ['Schedule.actor', 'Schedule.actor[0]', 'Schedule.serviceType[0]'],
    });
    const structural = await http('POST', 'Schedule', hospital, {
      ...scheduleBody('x'),
      active: 'yes',
    });
    expect(structural.status).toBe(400);
    expect(refusal(structural).rules[0]).toMatch(/^fhir\./);
    expect(refusal(structural).expressions[0]).toMatch(/^Schedule\.active/);
    const other = await http('POST', 'Schedule', hospital, scheduleBody('cardio', 'RXA'));
    expect(refusal(other)).toMatchObject({ status: 403, rules: ['platform.not-schedule-owner'] });
    const noScope = await http('POST', 'Schedule', reader, scheduleBody('cardio', 'A81001'));
    expect(noScope.status).toBe(403);
    const unknown = await http('GET', 'Schedule/5f7c2a0e-0000-4000-8000-000000000000', reader);
    expect(refusal(unknown)).toMatchObject({ status: 404, rules: ['platform.schedule-not-found'] });
  });

  it('searches schedules by organisation / actor and service type, paged with next links', async () => {
    const svc = `search-${faker.string.alphanumeric(6)}`;
    const made = [await createSchedule(svc), await createSchedule(svc), await createSchedule(svc)];
    const client = new Client({ baseUrl: stack.fhirBase, bearerToken: reader });
    const first = (await client.search({
      resourceType: 'Schedule',
      searchParams: { organization: 'RR8', 'service-type': svc, _count: '2' },
    })) as unknown as Bundle;
    expectValid(first);
    expect(first.entry!.map((e) => e.resource!.id)).toEqual([made[0]!.id, made[1]!.id]);
    const next = first.link!.find((l) => l.relation === 'next')!.url;
    const second = (await client.nextPage({ bundle: asPage(first) })) as unknown as Bundle;
    expectValid(second);
    expect(second.entry!.map((e) => e.resource!.id)).toEqual([made[2]!.id]);
    expect(second.link!.some((l) => l.relation === 'next')).toBe(false);
    expect(next).toContain('_page_token=');
    const byActor = await http<Bundle>(
      'GET',
      `Schedule?actor=Organization/RR8&service-type=${svc}`,
      reader,
    );
    expect(byActor.body.entry).toHaveLength(3);
    const elsewhere = await http<Bundle>(
      'GET',
      `Schedule?actor=Organization/RXA&service-type=${svc}`,
      reader,
    );
    expect(elsewhere.body.entry).toEqual([]);
    // a practitioner's schedule, found by the practitioner actor
    const gmc = `${faker.number.int({ min: 1000000, max: 9999999 })}`;
    const withPractitioner = await http<Schedule>('POST', 'Schedule', hospital, {
      ...scheduleBody(svc),
      actor: [
        { type: 'Organization', identifier: { system: ODS, value: 'RR8' } },
        { type: 'Practitioner', identifier: { system: GMC, value: gmc } },
      ],
    });
    expect(withPractitioner.body.actor![1]).toMatchObject({
      type: 'Practitioner',
      identifier: { value: gmc },
    });
    const byPractitioner = await http<Bundle>(
      'GET',
      `Schedule?actor=${encodeURIComponent(`${GMC}|${gmc}`)}`,
      reader,
    );
    expect(byPractitioner.body.entry!.map((e) => e.resource!.id)).toEqual([
      withPractitioner.body.id,
    ]);
    const badActor = await http('GET', 'Schedule?actor=Location/1', reader);
    expect(refusal(badActor)).toEqual({
      status: 400,
      rules: ['search.actor'],
      expressions: ['actor'],
    });
    const badToken = await http(
      'GET',
      `Schedule?organization=RR8&_page_token=${encodeURIComponent(next.split('_page_token=')[1]!)}`,
      reader,
    );
    expect(refusal(badToken)).toEqual({
      status: 400,
      rules: ['platform.page-token'],
      expressions: ['_page_token'],
    });
    const noScope = await http('GET', 'Schedule?organization=RR8', stranger);
    expect(noScope.status).toBe(403);
  });
});

describe('Slot over FHIR → PublishSlots / GetSlot / SearchFreeSlots', () => {
  let schedule: Schedule;
  beforeAll(async () => {
    schedule = await createSchedule('slot-clinic');
  });

  it('publishes one slot (201, Location, ETag), reads it, refuses an overlap with 409', async () => {
    const created = await http<Slot>('POST', 'Slot', hospital, slotBody(schedule.id!, 2, 0));
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${stack.fhirBase}/Slot/${created.body.id}`);
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.body).toMatchObject({
      status: 'free',
      schedule: { reference: `Schedule/${schedule.id}` },
    });
    const read = await http<Slot>('GET', `Slot/${created.body.id}`, reader);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    const overlap = slotBody(schedule.id!, 2, 0);
    overlap.start = new Date(Date.parse(overlap.start) + 5 * 60_000).toISOString();
    overlap.end = new Date(Date.parse(overlap.end) + 5 * 60_000).toISOString();
    const clash = await http('POST', 'Slot', hospital, overlap);
    expect(refusal(clash)).toMatchObject({ status: 409, rules: ['platform.slot-overlap'] });
    expect((clash.body as unknown as OperationOutcome).issue![0]!.diagnostics).toContain(
      created.body.id,
    );
    const unavailable = await http<Slot>(
      'POST',
      'Slot',
      hospital,
      slotBody(schedule.id!, 2, 1, 'busy-unavailable'),
    );
    expect([unavailable.status, unavailable.body.status]).toEqual([201, 'busy-unavailable']);
  });

  it('refuses bad slots with rule ids and expressions, unknown / foreign schedules, a missing scope', async () => {
    const busy = slotBody(schedule.id!, 3, 0, 'busy');
    busy.end = new Date(Date.parse(busy.start) - 60_000).toISOString();
    expect(refusal(await http('POST', 'Slot', hospital, busy))).toEqual({
      status: 422,
      rules: ['slot.status', 'slot.period'],
      expressions: ['Slot.status', 'Slot.end'],
    });
    const noStart = { ...slotBody(schedule.id!, 3, 0) } as Partial<Slot>;
    delete noStart.start;
    const missing = refusal(await http('POST', 'Slot', hospital, noStart));
    expect(missing.status).toBe(400);
    expect(missing.rules).toEqual(['fhir.cardinality']);
    expect(missing.expressions[0]).toMatch(/^Slot\.start/);
    const past = refusal(await http('POST', 'Slot', hospital, slotBody(schedule.id!, -2, 0)));
    expect(past).toEqual({ status: 400, rules: ['platform.future'], expressions: ['Slot.start'] });
    const unknown = slotBody('5f7c2a0e-0000-4000-8000-000000000000', 3, 0);
    expect(refusal(await http('POST', 'Slot', hospital, unknown))).toMatchObject({
      status: 404,
      rules: ['platform.schedule-not-found'],
    });
    const { token: otherTrust } = await stack.token(['system/Slot.c'], 'RXA');
    expect(
      refusal(await http('POST', 'Slot', otherTrust, slotBody(schedule.id!, 3, 0))),
    ).toMatchObject({ status: 403, rules: ['platform.not-schedule-owner'] });
    expect((await http('POST', 'Slot', reader, slotBody(schedule.id!, 3, 0))).status).toBe(403);
    expect(
      refusal(await http('GET', 'Slot/5f7c2a0e-0000-4000-8000-000000000000', reader)),
    ).toMatchObject({ status: 404, rules: ['platform.slot-not-found'] });
    expect((await http('GET', `Slot/${schedule.id}`, stranger)).status).toBe(403);
  });

  it('replays a publication with the same slot-request identifier (200), refuses its reuse (409)', async () => {
    const key = `pas-slot-${faker.string.alphanumeric(12)}`;
    const body: Slot = {
      ...slotBody(schedule.id!, 4, 0),
      identifier: [{ system: SLOT_REQUEST, value: key }],
    };
    const first = await http<Slot>('POST', 'Slot', hospital, body);
    expect(first.status).toBe(201);
    expect(first.body.identifier).toEqual([{ system: SLOT_REQUEST, value: key }]);
    // the client lost the response and retries: the slot it created, not an overlap
    const again = await http<Slot>('POST', 'Slot', hospital, body);
    expect([again.status, again.body.id]).toEqual([200, first.body.id]);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe(`${stack.fhirBase}/Slot/${first.body.id}`);
    expect(again.headers.get('etag')).toBe('W/"1"');
    expect((await http<Slot>('GET', `Slot/${first.body.id}`, reader)).body.identifier).toEqual([
      { system: SLOT_REQUEST, value: key },
    ]);
    // same key, other content (another time, another status): 409 naming the first slot
    const moved = { ...slotBody(schedule.id!, 4, 2), identifier: body.identifier };
    const reused = await http('POST', 'Slot', hospital, moved);
    expect(refusal(reused)).toMatchObject({
      status: 409,
      rules: ['platform.idempotency-key-reused'],
    });
    expect((reused.body as unknown as OperationOutcome).issue![0]!.diagnostics).toContain(
      first.body.id,
    );
    const unavailable = await http('POST', 'Slot', hospital, {
      ...body,
      status: 'busy-unavailable',
    });
    expect(refusal(unavailable).status).toBe(409);
    // a bad key is the body's problem
    expect(
      refusal(
        await http('POST', 'Slot', hospital, {
          ...slotBody(schedule.id!, 4, 3),
          identifier: [{ system: SLOT_REQUEST, value: 'short' }],
        }),
      ),
    ).toEqual({ status: 422, rules: ['slot.identifier'], expressions: ['Slot.identifier'] });
    // the key is the publishing organisation's: another trust's key is its own slot
    const { token: otherTrust } = await stack.token(['system/Schedule.c', 'system/Slot.c'], 'RXA');
    const theirs = await http<Schedule>('POST', 'Schedule', otherTrust, {
      ...scheduleBody('slot-clinic', 'RXA'),
    });
    expect(theirs.status).toBe(201);
    const theirSlot = await http<Slot>('POST', 'Slot', otherTrust, {
      ...slotBody(theirs.body.id!, 4, 0),
      identifier: body.identifier,
    });
    expect(theirSlot.status).toBe(201);
    expect(theirSlot.body.id).not.toBe(first.body.id);
    // without a key, a retry is still refused as an overlap with its own slot
    const plain = slotBody(schedule.id!, 4, 5);
    expect((await http('POST', 'Slot', hospital, plain)).status).toBe(201);
    expect(refusal(await http('POST', 'Slot', hospital, plain))).toMatchObject({
      status: 409,
      rules: ['platform.slot-overlap'],
    });
  });

  it('conditional create with If-None-Exist on the slot-request identifier (200 / 201 / 400)', async () => {
    const key = `pas-slot-${faker.string.alphanumeric(12)}`;
    const ifNoneExist = { 'if-none-exist': `identifier=${SLOT_REQUEST}|${key}` };
    const body: Slot = {
      ...slotBody(schedule.id!, 5, 0),
      identifier: [{ system: SLOT_REQUEST, value: key }],
    };
    const created = await http<Slot>('POST', 'Slot', hospital, body, ifNoneExist);
    expect(created.status).toBe(201);
    // a match: 200 with the existing slot, whatever the body asks for
    const matched = await http<Slot>(
      'POST',
      'Slot',
      hospital,
      { ...slotBody(schedule.id!, 5, 2), identifier: body.identifier },
      ifNoneExist,
    );
    expect([matched.status, matched.body.id, matched.body.start]).toEqual([
      200,
      created.body.id,
      body.start,
    ]);
    // criteria must name the body's own key
    const other = await http(
      'POST',
      'Slot',
      hospital,
      { ...slotBody(schedule.id!, 5, 4), identifier: body.identifier },
      { 'if-none-exist': `identifier=${SLOT_REQUEST}|other-${key}` },
    );
    expect(refusal(other)).toEqual({
      status: 400,
      rules: ['conditional-create.slot-identifier'],
      expressions: ['If-None-Exist'],
    });
    for (const criteria of [
      `identifier=${SCHEDULE_REQUEST}|${key}`,
      `start=ge2030-01-01`,
      `identifier=${SLOT_REQUEST}|${key}&start=ge2030-01-01`,
    ]) {
      const refused = await http('POST', 'Slot', hospital, body, { 'if-none-exist': criteria });
      expect([criteria, refusal(refused).status, refusal(refused).rules]).toEqual([
        criteria,
        400,
        ['conditional-create.slot-identifier'],
      ]);
    }
    const keyless = await http('POST', 'Slot', hospital, slotBody(schedule.id!, 5, 6), ifNoneExist);
    expect(refusal(keyless).status).toBe(400);
  });

  it('makes one slot of 10 racing identical POSTs (one 201, nine 200)', async () => {
    const body: Slot = {
      ...slotBody(schedule.id!, 6, 0),
      identifier: [{ system: SLOT_REQUEST, value: `race-${faker.string.alphanumeric(12)}` }],
    };
    const race = await Promise.all(
      Array.from({ length: 10 }, () => http<Slot>('POST', 'Slot', hospital, body)),
    );
    expect(race.map((r) => r.status).sort()).toEqual([...Array<number>(9).fill(200), 201]);
    expect(new Set(race.map((r) => r.body.id)).size).toBe(1);
    const free = await http<Bundle>(
      'GET',
      `Slot?organization=RR8&service-type=slot-clinic&start=ge${body.start}&start=lt${body.end}`,
      reader,
    );
    expect(free.body.entry!.map((e) => e.resource!.id)).toEqual([race[0]!.body.id]);
  });

  it('searches free slots soonest first with next links from the platform page tokens', async () => {
    const own = await createSchedule('paged-slots');
    const slots = [];
    for (let i = 0; i < 3; i++) slots.push(await createSlot(own.id!, 4, i));
    const client = new Client({ baseUrl: stack.fhirBase, bearerToken: reader });
    const first = (await client.search({
      resourceType: 'Slot',
      searchParams: { 'service-type': 'paged-slots', organization: 'RR8', _count: '2' },
    })) as unknown as Bundle;
    expectValid(first);
    expect(first.entry!.map((e) => e.resource!.id)).toEqual([slots[0]!.id, slots[1]!.id]);
    // the default window ("from now") travels in the next link, so the token still matches
    const next = first.link!.find((l) => l.relation === 'next')!.url;
    expect(next).toMatch(/start=ge.*start=lt/);
    const second = (await client.nextPage({ bundle: asPage(first) })) as unknown as Bundle;
    expectValid(second);
    expect(second.entry!.map((e) => e.resource!.id)).toEqual([slots[2]!.id]);
    expect(second.link!.some((l) => l.relation === 'next')).toBe(false);
    const badStart = await http('GET', 'Slot?service-type=paged-slots&start=yesterday', reader);
    expect(refusal(badStart)).toEqual({
      status: 400,
      rules: ['search.start'],
      expressions: ['start'],
    });
  });
});

describe('Appointment operations, versions and history over FHIR', () => {
  let schedule: Schedule;
  let nhs: string;
  beforeAll(async () => {
    schedule = await createSchedule('appt-clinic');
    nhs = await registerPatient();
  });

  it('$reschedule, $arrived, $fulfil with If-Match; state conflicts answer 409 naming the state', async () => {
    const a = await createSlot(schedule.id!, 5, 0);
    // b starts within the hour: arrival is recorded only from 2 hours before a slot
    const b = await createSlotSoon(schedule.id!, 60);
    const booked = await book(a.id!, nhs);
    expect(booked.meta?.versionId).toBe('1');
    // five days before the slot the arrival is a timing refusal (422), not recorded
    expect(refusal(await op('arrived', hospital, booked.id!, [], 'W/"1"'))).toMatchObject({
      status: 422,
      rules: ['platform.arrival.too-early'],
    });

    const missing = await op('reschedule', gp, booked.id!, []);
    expect(refusal(missing)).toEqual({
      status: 400,
      rules: ['operation.parameter.required'],
      expressions: ["Parameters.parameter.where(name='slot')"],
    });
    const nowhere = await op('reschedule', gp, booked.id!, [
      { name: 'slot', valueReference: { reference: 'Slot/5f7c2a0e-0000-4000-8000-000000000000' } },
    ]);
    expect(refusal(nowhere)).toMatchObject({ status: 404, rules: ['platform.slot-not-found'] });
    const same = await op('reschedule', gp, booked.id!, [
      { name: 'slot', valueReference: { reference: `Slot/${a.id}` } },
    ]);
    expect(refusal(same)).toEqual({
      status: 400,
      rules: ['platform.different-slot'],
      expressions: ["Parameters.parameter.where(name='slot')"],
    });

    const moved = await op(
      'reschedule',
      gp,
      booked.id!,
      [
        { name: 'slot', valueReference: { reference: `Slot/${b.id}` } },
        { name: 'reason', valueString: 'clinic moved' },
      ],
      'W/"1"',
    );
    expect(moved.status).toBe(200);
    expect(moved.headers.get('etag')).toBe('W/"2"');
    expect(moved.body).toMatchObject({ status: 'booked', slot: [{ reference: `Slot/${b.id}` }] });
    expect((await http<Slot>('GET', `Slot/${a.id}`, reader)).body.status).toBe('free');
    expect((await http<Slot>('GET', `Slot/${b.id}`, reader)).body.status).toBe('busy');

    // stale If-Match → 412, nothing changes
    const stale = await op('arrived', hospital, booked.id!, [], 'W/"1"');
    expect(refusal(stale)).toMatchObject({ status: 412, rules: ['http.precondition-failed'] });
    expect(refusal(await op('arrived', hospital, booked.id!, [], 'three'))).toMatchObject({
      status: 400,
      rules: ['http.if-match'],
    });
    // only the provider records attendance
    expect(refusal(await op('arrived', gp, booked.id!))).toMatchObject({
      status: 403,
      rules: ['platform.not-involved'],
    });
    // booked → fulfilled skips arrived: 409 naming the current state
    const early = await op('fulfil', hospital, booked.id!);
    expect(refusal(early)).toMatchObject({ status: 409, rules: ['platform.illegal-transition'] });
    expect((early.body as unknown as OperationOutcome).issue![0]).toMatchObject({
      code: 'conflict',
    });
    expect((early.body as unknown as OperationOutcome).issue![0]!.diagnostics).toMatch(
      /status is 'booked'/,
    );
    // no-show before the slot starts is a timing rule (422), not a state conflict
    expect(refusal(await op('no-show', hospital, booked.id!))).toMatchObject({
      status: 422,
      rules: ['platform.too-early'],
    });

    const arrived = await op('arrived', hospital, booked.id!, [], 'W/"2"');
    expect([arrived.status, arrived.body.status, arrived.headers.get('etag')]).toEqual([
      200,
      'arrived',
      'W/"3"',
    ]);
    const noShow = await op('no-show', hospital, booked.id!);
    expect(refusal(noShow).status).toBe(409);
    expect((noShow.body as unknown as OperationOutcome).issue![0]!.diagnostics).toMatch(
      /status is 'arrived'/,
    );
    const fulfilled = await op('fulfil', hospital, booked.id!);
    expect([fulfilled.status, fulfilled.body.status]).toEqual([200, 'fulfilled']);
    const cancel = await op('cancel', gp, booked.id!, [{ name: 'reason', valueString: 'late' }]);
    expect(refusal(cancel).status).toBe(409);
    expect((cancel.body as unknown as OperationOutcome).issue![0]!.diagnostics).toMatch(
      /'fulfilled'/,
    );
    expect(
      refusal(await op('arrived', hospital, '5f7c2a0e-0000-4000-8000-000000000000')),
    ).toMatchObject({ status: 404, rules: ['platform.appointment-not-found'] });
    expect((await op('arrived', reader, booked.id!)).status).toBe(403);

    // vread and history: every version, newest first, paged
    const v1 = await http<Appointment>('GET', `Appointment/${booked.id}/_history/1`, gp);
    expect(v1.status).toBe(200);
    expect(v1.headers.get('etag')).toBe('W/"1"');
    expect(v1.body).toMatchObject({
      status: 'booked',
      slot: [{ reference: `Slot/${a.id}` }],
      meta: { versionId: '1' },
    });
    const v3 = await http<Appointment>('GET', `Appointment/${booked.id}/_history/3`, hospital);
    expect(v3.body.status).toBe('arrived');
    const history = await http<Bundle>('GET', `Appointment/${booked.id}/_history`, gp);
    expect(history.body.type).toBe('history');
    expect(history.body.total).toBe(4);
    expect(
      history.body.entry!.map((e) => [
        (e.resource as Appointment).meta?.versionId,
        (e.resource as Appointment).status,
        e.request?.url,
        e.response?.etag,
      ]),
    ).toEqual([
      ['4', 'fulfilled', `Appointment/${booked.id}/$fulfil`, 'W/"4"'],
      ['3', 'arrived', `Appointment/${booked.id}/$arrived`, 'W/"3"'],
      ['2', 'booked', `Appointment/${booked.id}/$reschedule`, 'W/"2"'],
      ['1', 'booked', 'Appointment/$book', 'W/"1"'],
    ]);
    const client = new Client({ baseUrl: stack.fhirBase, bearerToken: gp });
    const page1 = (await http<Bundle>('GET', `Appointment/${booked.id}/_history?_count=3`, gp))
      .body;
    expectValid(page1);
    expect(page1.entry!.map((e) => e.resource!.meta?.versionId)).toEqual(['4', '3', '2']);
    const page2 = (await client.nextPage({ bundle: asPage(page1) })) as unknown as Bundle;
    expect([page2.type, page2.entry!.map((e) => e.resource!.meta?.versionId)]).toEqual([
      'history',
      ['1'],
    ]);
    expect(page2.link!.some((l) => l.relation === 'next')).toBe(false);
  });

  it('vread / history: unknown versions and ids 404, other organisations 404, wrong scope 403', async () => {
    const slot = await createSlot(schedule.id!, 6, 0);
    const booked = await book(slot.id!, nhs);
    const gone = await http('GET', `Appointment/${booked.id}/_history/9`, gp);
    expect(refusal(gone)).toMatchObject({
      status: 404,
      rules: ['platform.appointment-version-not-found'],
    });
    expect(refusal(await http('GET', `Appointment/${booked.id}/_history/x`, gp))).toMatchObject({
      status: 404,
      rules: ['http.not-found'],
    });
    const unknown = '5f7c2a0e-0000-4000-8000-000000000000';
    expect(refusal(await http('GET', `Appointment/${unknown}/_history`, gp)).status).toBe(404);
    // an organisation that is neither provider, booker nor registered GP sees nothing
    expect(refusal(await http('GET', `Appointment/${booked.id}/_history`, stranger))).toMatchObject(
      { status: 404, rules: ['platform.appointment-not-found'] },
    );
    expect((await http('GET', `Appointment/${booked.id}/_history/1`, stranger)).status).toBe(404);
    expect((await http('GET', `Appointment/${booked.id}/_history`, reader)).status).toBe(403);
    expect((await http('GET', `Appointment/${booked.id}/_history/1`, reader)).status).toBe(403);
  });

  it('audits the operations, vread and history at the gateway with the patient and the appointment', async () => {
    const slot = await createSlotSoon(schedule.id!, 90); // $arrived needs the arrival window
    const booked = await book(slot.id!, nhs);
    const audit = await collect(stack.gw.auditTopic);
    try {
      expect((await op('arrived', hospital, booked.id!)).status).toBe(200);
      expect((await http('GET', `Appointment/${booked.id}/_history/1`, gp)).status).toBe(200);
      expect((await http('GET', `Appointment/${booked.id}/_history`, gp)).status).toBe(200);
      expect((await http('GET', `Appointment/${booked.id}/_history`, stranger)).status).toBe(404);
      const wanted = [
        'POST /fhir/Appointment/:id/$arrived',
        'GET /fhir/Appointment/:id/_history/:vid',
        'GET /fhir/Appointment/:id/_history',
      ];
      const seen = await waitFor(() => {
        const found = audit.messages
          .map((m) => events.v1.AccessRecorded.decode(m.value!))
          .filter((e) => e.sourceService === 'gateway' && e.resourceId === booked.id);
        return found.length >= 4 ? found : undefined;
      }, 20_000);
      expect(
        seen
          .filter((e) => e.outcome === '0')
          .map((e) => [e.interaction, e.patientNhsNumber, e.resourceType, e.odsCode]),
      ).toEqual(
        expect.arrayContaining(
          wanted.map((w) => [w, nhs, 'Appointment', w.includes('arrived') ? 'RR8' : 'A81001']),
        ),
      );
      // the refused history read is audited too (not a success), for the stranger organisation
      expect(seen.find((e) => e.odsCode === 'B82001')?.outcome).not.toBe('0');
    } finally {
      await audit.stop();
    }
  });

  it("pages a patient's appointments with next links", async () => {
    const patient = await registerPatient();
    const ids = [];
    for (let i = 0; i < 3; i++)
      ids.push((await book((await createSlot(schedule.id!, 7, i)).id!, patient)).id);
    const client = new Client({ baseUrl: stack.fhirBase, bearerToken: gp });
    const first = (await client.search({
      resourceType: 'Appointment',
      searchParams: { patient: `Patient/${patient}`, _count: '2' },
    })) as unknown as Bundle;
    expectValid(first);
    expect(first.entry!.map((e) => e.resource!.id)).toEqual(ids.slice(0, 2));
    const second = (await client.nextPage({ bundle: asPage(first) })) as unknown as Bundle;
    expect(second.entry!.map((e) => e.resource!.id)).toEqual(ids.slice(2));
    expect(second.link!.some((l) => l.relation === 'next')).toBe(false);
  });

  it('declares every route in the CapabilityStatement with OperationDefinitions', async () => {
    const client = new Client({ baseUrl: stack.fhirBase, bearerToken: gp });
    const cs = (await client.capabilityStatement()) as unknown as {
      rest: {
        resource: {
          type: string;
          interaction: { code: string }[];
          operation?: { name: string }[];
        }[];
      }[];
    };
    const byType = (t: string) => cs.rest[0]!.resource.find((r) => r.type === t)!;
    expect(
      byType('Appointment')
        .interaction.map((i) => i.code)
        .sort(),
    ).toEqual(['history-instance', 'read', 'search-type', 'vread']);
    expect(
      byType('Appointment')
        .operation!.map((o) => o.name)
        .sort(),
    ).toEqual(['arrived', 'book', 'cancel', 'fulfil', 'no-show', 'reschedule']);
    expect(
      byType('Schedule')
        .interaction.map((i) => i.code)
        .sort(),
    ).toEqual(['create', 'read', 'search-type']);
    expect(
      byType('Slot')
        .interaction.map((i) => i.code)
        .sort(),
    ).toEqual(['create', 'read', 'search-type']);
    for (const name of ['reschedule', 'arrived', 'fulfil', 'no-show']) {
      const def = (await client.read({
        resourceType: 'OperationDefinition',
        id: `appointment-${name}`,
      })) as unknown as OperationDefinition;
      expectValid(def);
      expect([def.code, def.instance, def.affectsState]).toEqual([name, true, true]);
    }
  });
});
