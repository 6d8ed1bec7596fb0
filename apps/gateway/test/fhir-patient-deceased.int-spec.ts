import { faker } from '@faker-js/faker/locale/en_GB';
import type { OperationOutcome, Patient, Resource } from '@medplum/fhirtypes';
import { events } from '@trellis/contracts';
import { Client } from 'fhir-kit-client';
import { Client as PgClient } from 'pg';

import { startFhirStack, type FhirStack } from './fhir.harness';
import { asBody, expectValid, failure } from './support/fhir-assertions';

// Recording a death the FHIR way (PDS): PUT Patient/{nhs} with deceasedDateTime, If-Match required.
// The gateway drives identity's UpdatePatient, which commits demographics + death + events at once.

jest.setTimeout(180_000);

/** The single issue of a refusal: 422, its Trellis rule id, at Patient.deceasedDateTime. */
function expectRefusal(f: { status: number; outcome: OperationOutcome }, rule: string): string {
  expect(f.status).toBe(422);
  expectValid(f.outcome);
  expect(f.outcome.issue).toHaveLength(1);
  const issue = f.outcome.issue![0]!;
  expect(issue.severity).toBe('error');
  expect(issue.expression).toEqual(['Patient.deceasedDateTime']);
  expect(issue.details?.coding?.map((c) => c.code)).toContain(rule);
  return issue.diagnostics ?? issue.details?.text ?? '';
}

let stack: FhirStack;
let fhir: Client;
let token: string;
let pg: PgClient;

function newPatient(birthDate: string): Patient {
  return {
    resourceType: 'Patient',
    name: [{ use: 'official', family: faker.person.lastName(), given: [faker.person.firstName()] }],
    gender: faker.helpers.arrayElement(['male', 'female'] as const),
    birthDate,
    address: [
      {
        use: 'home',
        line: [faker.location.streetAddress()],
        city: faker.location.city(),
        postalCode: 'LS1 4AP',
      },
    ],
  };
}

async function register(birthDate: string): Promise<Patient> {
  const p = (await fhir.create({
    resourceType: 'Patient',
    body: asBody(newPatient(birthDate)),
  })) as unknown as Patient;
  expect(p.meta?.versionId).toBe('1');
  return p;
}

async function put(
  p: Patient,
  version: string,
): Promise<{ status: number; etag: string | null; body: Resource }> {
  const res = await fetch(`${stack.fhirBase}/Patient/${p.id}`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/fhir+json',
      'if-match': `W/"${version}"`,
    },
    body: JSON.stringify(p),
  });
  return {
    status: res.status,
    etag: res.headers.get('etag'),
    body: (await res.json()) as Resource,
  };
}

const update = (p: Patient, version: string) =>
  fhir.update({
    resourceType: 'Patient',
    id: p.id!,
    body: asBody(p),
    options: { headers: { 'If-Match': `W/"${version}"` } },
  });

async function read(id: string): Promise<Patient> {
  const p = (await fhir.read({ resourceType: 'Patient', id })) as unknown as Patient;
  expectValid(p);
  return p;
}

/** identity's outbox rows for a patient (the relay is off in the test stack: rows stay put). */
async function outbox(nhs: string): Promise<Array<{ ce_type: string; payload: Buffer }>> {
  const r = await pg.query<{ ce_type: string; payload: Buffer }>(
    `SELECT ce_type, payload FROM "${stack.identitySchema.schema}".outbox_events
      WHERE key = $1 AND topic = 'trellis.identity.patient.v1' ORDER BY seq`,
    [nhs],
  );
  return r.rows;
}
const types = async (nhs: string) => (await outbox(nhs)).map((e) => e.ce_type.split('.').at(-2));

beforeAll(async () => {
  stack = await startFhirStack();
  ({ token } = await stack.token(['system/Patient.cruds']));
  fhir = new Client({ baseUrl: stack.fhirBase, bearerToken: token });
  pg = new PgClient({ connectionString: process.env['DATABASE_URL'] });
  await pg.connect();
});

afterAll(async () => {
  await pg?.end();
  await stack?.stop();
});

describe('PUT Patient with deceasedDateTime records the death (one identity transaction)', () => {
  it('records the death with a demographic change: version +1, ETag, PatientUpdated + PatientDeceased', async () => {
    const created = await register('1941-03-12');
    const died = '2026-11-20T14:05:00.000Z';
    const phone = '0113 496 0123';
    const res = await put(
      {
        ...created,
        deceasedDateTime: died,
        telecom: [{ system: 'phone', value: phone, use: 'home' }],
      },
      '1',
    );
    expect(res.status).toBe(200);
    expect(res.etag).toBe('W/"2"');
    expectValid(res.body);
    expect(res.body).toMatchObject({ deceasedDateTime: died, meta: { versionId: '2' } });

    const back = await read(created.id!);
    expect(back.deceasedDateTime).toBe(died);
    expect(back.telecom![0]!.value).toBe(phone);
    expect(back.meta!.versionId).toBe('2');

    const rows = await outbox(created.id!);
    expect(rows.map((e) => e.ce_type.split('.').at(-2))).toEqual([
      'PatientRegistered',
      'PatientUpdated',
      'PatientDeceased',
    ]);
    const updated = events.v1.PatientUpdated.decode(rows[1]!.payload);
    expect(updated.changedFields).toEqual(['telecom']);
    const deceased = events.v1.PatientDeceased.decode(rows[2]!.payload);
    expect(deceased.patient!.nhsNumber).toBe(created.id);
    expect(deceased.deceasedAt!.seconds).toBe(Date.parse(died) / 1000);

    // history: one version for both changes
    const v2 = (await fhir.vread({
      resourceType: 'Patient',
      id: created.id!,
      version: '2',
    })) as unknown as Patient;
    expectValid(v2);
    expect(v2.deceasedDateTime).toBe(died);
    await expect(
      fhir.vread({ resourceType: 'Patient', id: created.id!, version: '3' }),
    ).rejects.toMatchObject({ response: { status: 404 } });

    // the same date again (a full date-time or the same instant written differently) is a no-op
    const again = await put({ ...back, deceasedDateTime: '2026-11-20T14:05:00+00:00' }, '2');
    expect(again.status).toBe(200);
    expect(again.etag).toBe('W/"2"');
    expect(await types(created.id!)).toHaveLength(3);

    // removing or changing it: 422, a correction is a separate process; nothing written
    const { deceasedDateTime: _dropped, ...alive } = back;
    void _dropped;
    const removed = expectRefusal(await failure(update(alive, '2')), 'patient.deceased.correction');
    expect(removed).toMatch(/corrections of a death are a separate process/);
    expectRefusal(
      await failure(update({ ...alive, deceasedBoolean: false }, '2')),
      'patient.deceased.correction',
    );
    const changed = expectRefusal(
      await failure(update({ ...back, deceasedDateTime: '2026-11-19' }, '2')),
      'patient.deceased.correction',
    );
    expect(changed).toMatch(/corrections of a death are a separate process/);
    expect((await read(created.id!)).meta!.versionId).toBe('2');
    expect(await types(created.id!)).toHaveLength(3);
  });

  it('a death alone (a bare date) emits PatientDeceased only', async () => {
    const created = await register('1950-07-01');
    const res = await put({ ...created, deceasedDateTime: '2026-11-01' }, '1');
    expect(res.status).toBe(200);
    expect(res.etag).toBe('W/"2"');
    expect((await read(created.id!)).deceasedDateTime).toBe('2026-11-01T00:00:00.000Z');
    expect(await types(created.id!)).toEqual(['PatientRegistered', 'PatientDeceased']);
  });

  it('refuses a death in the future, before the birth date, or without a date (422), writing nothing', async () => {
    const created = await register('1960-05-05');
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const future = expectRefusal(
      await failure(update({ ...created, deceasedDateTime: tomorrow }, '1')),
      'patient.deceased.future',
    );
    expect(future).toMatch(/future/);
    expectRefusal(
      await failure(update({ ...created, deceasedDateTime: '1960-05-04' }, '1')),
      'patient.deceased.before-birth',
    );
    // before the birth date sent in the same PUT (the new one counts)
    expectRefusal(
      await failure(
        update({ ...created, birthDate: '1961-01-01', deceasedDateTime: '1960-12-31' }, '1'),
      ),
      'patient.deceased.before-birth',
    );
    const boolOnly = expectRefusal(
      await failure(update({ ...created, deceasedBoolean: true }, '1')),
      'patient.deceased.date-required',
    );
    expect(boolOnly).toMatch(/deceasedDateTime/);
    expectRefusal(
      await failure(update({ ...created, deceasedDateTime: '2026-11' }, '1')),
      'patient.deceased.precision',
    );
    const back = await read(created.id!);
    expect(back.deceasedDateTime).toBeUndefined();
    expect(back.meta!.versionId).toBe('1');
    expect(await types(created.id!)).toEqual(['PatientRegistered']);
  });

  it('still needs If-Match (428) and a current version (412)', async () => {
    const created = await register('1972-02-29');
    const body = { ...created, deceasedDateTime: '2026-10-10' };
    const blind = await failure(
      fhir.update({ resourceType: 'Patient', id: created.id!, body: asBody(body) }),
    );
    expect(blind.status).toBe(428);
    const stale = await failure(update(body, '7'));
    expect(stale.status).toBe(412);
    expect(await types(created.id!)).toEqual(['PatientRegistered']);
  });
});
