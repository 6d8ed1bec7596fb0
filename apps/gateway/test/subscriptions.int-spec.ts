import { faker } from '@faker-js/faker/locale/en_GB';
import type {
  Bundle,
  DiagnosticReport,
  OperationOutcome,
  Parameters,
  Patient,
} from '@medplum/fhirtypes';
import { createTestSchema, freePort, type ServiceProcess, type TestSchema } from '@trellis/testing';

import { startFhirStack, type FhirStack } from './fhir.harness';
import {
  hospitalResult,
  ODS,
  startNotifications,
  subscriptionBody as subscription,
  TOPIC,
} from './support/subscription-fixtures';
import { startSubscriber, type Subscriber } from './support/subscriber';

// Issue 21 proofs over the real stack: gateway (this process), identity and results (child
// processes publishing through their outbox relays to Kafka) and the notifications service
// (child process consuming those topics). A GP practice's endpoint goes down for part of the
// journey and comes back; it receives every notification in order, applies each once, and the
// missed range is readable with $events; another organisation's subscriber receives nothing about
// the patient; the GP is notified of a hospital-requested result and may read it.

jest.setTimeout(600_000);

const GP_ODS = 'A81001';
const OTHER_ODS = 'A82001';

let stack: FhirStack;
let notifications: ServiceProcess | undefined;
let schema: TestSchema | undefined;
let gpToken: string;
let labToken: string;
let otherToken: string;
let noReadToken: string;
let gpHook: Subscriber;
let otherHook: Subscriber;

/** Polls `check` until it returns a value (generous deadline: the machine is shared). */
async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + Number(process.env['SUBSCRIPTIONS_WAIT_MS'] ?? 240_000);
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const { Client: Pg } = await import('pg');
      const pg = new Pg({ connectionString: schema?.url });
      await pg.connect();
      const q = async (sql: string) => JSON.stringify((await pg.query(sql)).rows);
      const diag = [
        await q(
          `SELECT ce_type, handled_at, event_id FROM ${String(schema?.schema)}.inbox_events WHERE ce_type LIKE '%identity%' OR ce_type LIKE '%results%' ORDER BY handled_at DESC LIMIT 4`,
        ),
        await q(`SELECT * FROM ${String(schema?.schema)}.patient_practices LIMIT 5`),
        await q(
          `SELECT id, topic, owner_ods_code, patient_nhs_number, status, event_count, delivered_through, last_error FROM ${String(schema?.schema)}.subscriptions`,
        ),
        await q(
          `SELECT topic, count(*), count(sent_at) FROM ${stack.identitySchema.schema}.outbox_events GROUP BY 1`,
        ),
      ].join('\n');
      await pg.end();
      process.stderr.write(`DIAG\n${diag}\n`);
      const out = notifications?.output();
      throw new Error(
        `timed out waiting for ${what}\nnotifications stdout:\n${out?.stdout ?? ''}\nstderr:\n${out?.stderr ?? ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function fhir<T>(
  path: string,
  token: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.fhirBase}/${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body ? { 'content-type': 'application/fhir+json' } : {}),
    },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function postResult(nhs: string, haemoglobin: number): Promise<string> {
  const res = await fhir<DiagnosticReport>('DiagnosticReport', labToken, {
    method: 'POST',
    body: hospitalResult(nhs, haemoglobin),
  });
  if (res.status !== 201) throw new Error(`result refused: ${JSON.stringify(res.body)}`);
  return res.body.id!;
}

const statusOf = async (id: string, token = gpToken) => {
  const res = await fhir<Bundle>(`Subscription/${id}/$status`, token);
  expect(res.status).toBe(200);
  const p = res.body.entry?.[0]?.resource as Parameters;
  const value = (name: string) => p.parameter?.find((x) => x.name === name);
  return {
    status: value('status')?.valueCode,
    eventsSinceStart: Number(value('events-since-subscription-start')?.valueString),
  };
};

const issue = (o: OperationOutcome) => ({
  rule: o.issue?.[0]?.details?.coding?.[0]?.code,
  expression: o.issue?.[0]?.expression?.[0],
});

beforeAll(async () => {
  const [notificationsPort, gpPort, otherPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
  ]);
  const grpcAddr = `127.0.0.1:${String(notificationsPort)}`;
  stack = await startFhirStack(
    {},
    {
      results: true,
      gatewayEnv: { NOTIFICATIONS_GRPC_ADDR: grpcAddr },
      // the platforms publish their events (the other suites run without relays)
      platformEnv: {
        identity: { OUTBOX_RELAY_ENABLED: 'true' },
        results: { OUTBOX_RELAY_ENABLED: 'true' },
      },
    },
  );
  schema = await createTestSchema('notifications');
  notifications = await startNotifications(stack, schema, notificationsPort);
  ({ token: gpToken } = await stack.token(
    ['system/Patient.cruds', 'system/DiagnosticReport.rs', 'system/Subscription.cruds'],
    GP_ODS,
  ));
  ({ token: labToken } = await stack.token(
    ['system/DiagnosticReport.crus', 'system/Observation.rs', 'system/Patient.r'],
    'RR8',
  ));
  ({ token: otherToken } = await stack.token(
    ['system/DiagnosticReport.rs', 'system/Subscription.cruds'],
    OTHER_ODS,
  ));
  ({ token: noReadToken } = await stack.token(['system/Subscription.cruds'], GP_ODS));
  gpHook = await startSubscriber(gpPort);
  otherHook = await startSubscriber(otherPort);
});

afterAll(async () => {
  await gpHook?.close();
  await otherHook?.close();
  try {
    await notifications?.stop();
  } finally {
    await schema?.drop();
    await stack?.stop();
  }
});

async function registeredPatient(): Promise<string> {
  const created = await fhir<Patient>('Patient', gpToken, {
    method: 'POST',
    body: {
      resourceType: 'Patient',
      name: [{ family: faker.person.lastName(), given: [faker.person.firstName()] }],
      gender: 'female',
      birthDate: faker.date.birthdate({ min: 20, max: 90, mode: 'age' }).toISOString().slice(0, 10),
      generalPractitioner: [{ identifier: { system: ODS, value: GP_ODS } }],
    },
  });
  expect(created.status).toBe(201);
  return created.body.id!;
}

describe('Subscription validation at the gateway', () => {
  it('refuses an unknown topic, a topic the system may not read, another channel, an unknown payload content', async () => {
    const nhs = await registeredPatient();
    const unknown = await fhir<OperationOutcome>('Subscription', gpToken, {
      method: 'POST',
      body: subscription(gpHook.url, nhs, { topic: `${TOPIC}/weather` }),
    });
    const noRead = await fhir<OperationOutcome>('Subscription', noReadToken, {
      method: 'POST',
      body: subscription(gpHook.url, nhs),
    });
    const email = await fhir<OperationOutcome>('Subscription', gpToken, {
      method: 'POST',
      body: subscription(gpHook.url, nhs, { channelType: 'email' }),
    });
    const unknownContent = await fhir<OperationOutcome>('Subscription', gpToken, {
      method: 'POST',
      body: subscription(gpHook.url, nhs, { content: 'message' }),
    });
    expect([
      [unknown.status, issue(unknown.body)],
      [noRead.status, issue(noRead.body)],
      [email.status, issue(email.body)],
      [unknownContent.status, issue(unknownContent.body)],
    ]).toEqual([
      [400, { rule: 'platform.subscription.unknown-topic', expression: 'Subscription.criteria' }],
      [403, { rule: 'platform.subscription.missing-scope', expression: 'Subscription.criteria' }],
      [400, { rule: 'subscription.channel-unsupported', expression: 'Subscription.channel.type' }],
      [
        400,
        {
          rule: 'platform.subscription.payload-unsupported',
          expression: 'Subscription.channel.payload',
        },
      ],
    ]);
  });

  it('lists the topics in the CapabilityStatement and serves read, search and delete of own subscriptions', async () => {
    const meta = await fhir<{
      rest: Array<{
        resource: Array<{ type: string; extension?: Array<{ valueCanonical?: string }> }>;
      }>;
    }>('metadata', gpToken);
    const sub = meta.body.rest[0]?.resource.find((r) => r.type === 'Subscription');
    expect(sub?.extension?.map((e) => e.valueCanonical).sort()).toEqual(
      [
        'appointment-changed',
        'patient-deceased',
        'patient-merged',
        'referral-state-changed',
        'result-amended',
        'result-available',
      ].map((t) => `${TOPIC}/${t}`),
    );
    const nhs = await registeredPatient();
    const created = await fhir<{ id: string; status: string }>('Subscription', gpToken, {
      method: 'POST',
      body: subscription(gpHook.url, nhs, { topic: `${TOPIC}/result-amended` }),
    });
    expect([created.status, created.body.status]).toEqual([201, 'active']);
    const id = created.body.id;
    const mine = await fhir<Bundle>(
      `Subscription?criteria=${encodeURIComponent(`${TOPIC}/result-amended`)}`,
      gpToken,
    );
    expect(mine.body.entry?.map((e) => e.resource?.id)).toContain(id);
    const theirs = await fhir<OperationOutcome>(`Subscription/${id}`, otherToken);
    expect(theirs.status).toBe(404);
    expect((await fhir(`Subscription/${id}`, gpToken, { method: 'DELETE' })).status).toBe(204);
    expect((await fhir(`Subscription/${id}`, gpToken)).status).toBe(404);
  });
});

describe('durable delivery (issue 21 proofs)', () => {
  it('delivers every result to the registered GP in order across an outage, once in effect; $events returns the missed range; another organisation hears nothing', async () => {
    const nhs = await registeredPatient();
    const gpSub = await fhir<{ id: string }>('Subscription', gpToken, {
      method: 'POST',
      body: subscription(gpHook.url, nhs),
    });
    const otherSub = await fhir<{ id: string }>('Subscription', otherToken, {
      method: 'POST',
      body: subscription(otherHook.url, nhs),
    });
    expect([gpSub.status, otherSub.status]).toEqual([201, 201]);

    // 1. the lab reports a hospital-requested result: the GP is told, though it never asked
    const first = await postResult(nhs, 141);
    await until('the first notification', () => (gpHook.applied.length >= 1 ? true : undefined));

    // 2. the GP's endpoint goes down; two more results come while it is down
    await gpHook.down();
    const second = await postResult(nhs, 128);
    const third = await postResult(nhs, 119);
    await until('three events recorded and a failed delivery', async () => {
      const s = await statusOf(gpSub.body.id);
      return s.eventsSinceStart === 3 && s.status === 'error' ? s : undefined;
    });

    // 3. $events returns the missed range by number
    const missed = await fhir<Bundle>(
      `Subscription/${gpSub.body.id}/$events?eventsSinceNumber=2&eventsUntilNumber=3`,
      gpToken,
    );
    expect(missed.status).toBe(200);
    const events = (missed.body.entry?.[0]?.resource as Parameters).parameter
      ?.filter((p) => p.name === 'notification-event')
      .map((p) => [
        p.part?.find((x) => x.name === 'event-number')?.valueString,
        p.part?.find((x) => x.name === 'focus')?.valueReference?.reference,
      ]);
    expect(events).toEqual([
      ['2', `${stack.fhirBase}/DiagnosticReport/${second}`],
      ['3', `${stack.fhirBase}/DiagnosticReport/${third}`],
    ]);

    // 4. it comes back, and loses the acknowledgement of event 3 once (applied, answered 500)
    gpHook.loseAckOf(3);
    await gpHook.up();
    await until('event 3 acknowledged after its redelivery', () =>
      gpHook.deliveries.filter((d) => d.eventNumber === 3).length >= 2 ? true : undefined,
    );
    await until('the subscription caught up', async () => {
      const s = await statusOf(gpSub.body.id);
      return s.status === 'active' ? s : undefined;
    });

    // every notification, in order, each applied once; the redelivery carried the same id
    expect(gpHook.applied.map((a) => [a.eventNumber, a.focus, a.patient])).toEqual([
      [1, `${stack.fhirBase}/DiagnosticReport/${first}`, `${stack.fhirBase}/Patient/${nhs}`],
      [2, `${stack.fhirBase}/DiagnosticReport/${second}`, `${stack.fhirBase}/Patient/${nhs}`],
      [3, `${stack.fhirBase}/DiagnosticReport/${third}`, `${stack.fhirBase}/Patient/${nhs}`],
    ]);
    // deliveries never went backwards, and every redelivery of an event carried its one id
    const numbers = gpHook.deliveries.map((d) => d.eventNumber ?? 0);
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
    const idsOf = (n: number) =>
      new Set(gpHook.deliveries.filter((d) => d.eventNumber === n).map((d) => d.id));
    expect([1, 2, 3].map((n) => idsOf(n).size)).toEqual([1, 1, 1]);
    expect(gpHook.deliveries.filter((d) => d.eventNumber === 3).length).toBeGreaterThanOrEqual(2);
    expect(
      gpHook.deliveries.every((d) => d.headers['authorization'] === 'Bearer receiver-secret'),
    ).toBe(true);

    // another organisation's subscriber to the same patient and topic: nothing recorded or sent
    // (the events above were recorded in the same transactions as the GP's)
    expect(await statusOf(otherSub.body.id, otherToken)).toEqual({
      status: 'active',
      eventsSinceStart: 0,
    });
    expect(otherHook.deliveries).toEqual([]);

    // the GP may read the result it was told about
    const read = await fhir<DiagnosticReport>(`DiagnosticReport/${first}`, gpToken);
    expect([read.status, read.body.id]).toEqual([200, first]);
  });
});
