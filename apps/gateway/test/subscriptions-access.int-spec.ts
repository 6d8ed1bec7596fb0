import type { Bundle } from '@medplum/fhirtypes';
import { loadServiceIdentity, SERVICE_TOKEN_HEADER } from '@trellis/auth';
import { events } from '@trellis/contracts';
import { freePort } from '@trellis/testing';
import { Client as Pg } from 'pg';

import { SystemsService } from '../src/app/systems/systems.service';
import { BOOTSTRAP_CALLER } from './support/harness';
import { subscriptionBody } from './support/subscription-fixtures';
import { SubscriptionSuite } from './support/subscription-suite';
import { startSubscriber, type Subscriber } from './support/subscriber';

// Issue 21, who may be told what, over the real stack (gateway in this process; identity,
// results and notifications as child processes; PostgreSQL and Kafka): the subscriber's standing
// is judged again before every delivery (a suspended system is told nothing more and reads why in
// $status), restricted patients' events reach only systems that may read restricted records, and
// a full-resource notification carries the focus exactly as the subscriber's FHIR read returns it
// (read at the FHIR door as that system, audited as its read).

jest.setTimeout(600_000);

const GP_ODS = 'A81001';
const READ = ['system/DiagnosticReport.rs', 'system/Subscription.cruds'];

let suite: SubscriptionSuite;
let labToken: string;
const hooks: Subscriber[] = [];

async function hook(): Promise<Subscriber> {
  const h = await startSubscriber(await freePort());
  hooks.push(h);
  return h;
}

beforeAll(async () => {
  suite = await SubscriptionSuite.start();
  ({ token: labToken } = await suite.stack.token(
    ['system/DiagnosticReport.crus', 'system/Observation.rs', 'system/Patient.r'],
    'RR8',
  ));
});

afterAll(async () => {
  await Promise.all(hooks.map((h) => h.close()));
  await suite?.stop();
});

async function subscribe(
  token: string,
  url: string,
  nhs: string,
  heartbeatSeconds?: number,
  content?: string,
) {
  const res = await suite.fhir<{ id: string }>('Subscription', token, {
    method: 'POST',
    body: subscriptionBody(url, nhs, {
      ...(heartbeatSeconds ? { heartbeatSeconds } : {}),
      ...(content ? { content } : {}),
    }),
  });
  if (res.status !== 201) throw new Error(`subscription refused: ${JSON.stringify(res.body)}`);
  return res.body.id;
}

describe("the subscriber's standing, judged before every delivery", () => {
  it('a suspended system is told nothing more: its subscription goes off and $status says why', async () => {
    const [registrar, watched, control] = await Promise.all([
      suite.stack.token(['system/Patient.cruds'], GP_ODS),
      suite.stack.token(READ, GP_ODS),
      suite.stack.token(READ, GP_ODS),
    ]);
    const nhs = await suite.patient(registrar.token, GP_ODS);
    const [watchedHook, controlHook] = await Promise.all([hook(), hook()]);
    // a heartbeat makes the worker judge the quiet subscription too, so it turns off unprompted
    const watchedSub = await subscribe(watched.token, watchedHook.url, nhs, 10);
    await subscribe(control.token, controlHook.url, nhs);
    const first = await suite.result(labToken, nhs, 140);
    await suite.until('the first result at both subscribers', () =>
      watchedHook.applied.length >= 1 && controlHook.applied.length >= 1 ? true : undefined,
    );

    const systems = suite.stack.gw.handle.app.get(SystemsService);
    await systems.suspend(
      watched.systemId,
      'subscription suite: key compromised',
      BOOTSTRAP_CALLER,
    );
    await suite.until('the suspended system’s subscription turned off', async () => {
      const [row] = await suite.sql<{ status: string }>(
        'SELECT status FROM $schema.subscriptions WHERE id = $1',
        [watchedSub],
      );
      return row?.status === 'off' ? true : undefined;
    });
    const second = await suite.result(labToken, nhs, 121);
    await suite.until('the second result at the active subscriber', () =>
      controlHook.applied.some((a) => a.focus === suite.reportUrl(second)) ? true : undefined,
    );
    expect(watchedHook.applied.map((a) => [a.eventNumber, a.focus])).toEqual([
      [1, suite.reportUrl(first)],
    ]);
    expect(watchedHook.deliveries.some((d) => d.focus === suite.reportUrl(second))).toBe(false);

    // reinstated, it reads why; the subscription stays off (it subscribes again)
    await systems.reactivate(watched.systemId, BOOTSTRAP_CALLER, 'subscription suite: new key');
    const status = await suite.until('the reinstated system reads its $status', () =>
      suite.status(watchedSub, watched.token),
    );
    expect(status).toEqual({
      status: 'off',
      eventsSinceStart: 1,
      error:
        'the subscriber system was suspended: notifications stopped (subscribe again once reinstated)',
    });
  });
});

describe("restricted patients' events", () => {
  it('reach only subscribers that may read restricted records; the others hear nothing, as a read shows them nothing', async () => {
    // both may read patients (a practice's read of a result asks identity whose practice it is)
    const [registrar, plain, entitled] = await Promise.all([
      suite.stack.token(['system/Patient.cruds', 'trellis/restricted.read'], GP_ODS),
      suite.stack.token([...READ, 'system/Patient.r'], GP_ODS),
      suite.stack.token([...READ, 'system/Patient.r', 'trellis/restricted.read'], GP_ODS),
    ]);
    const nhs = await suite.patient(registrar.token, GP_ODS, true);
    const [plainHook, entitledHook] = await Promise.all([hook(), hook()]);
    const plainSub = await subscribe(plain.token, plainHook.url, nhs);
    await subscribe(entitled.token, entitledHook.url, nhs);
    await suite.until('the notifications service to know the record is restricted', async () =>
      (
        await suite.sql(
          'SELECT 1 FROM $schema.restricted_patients WHERE nhs_number = $1 AND restricted',
          [nhs],
        )
      ).length > 0
        ? true
        : undefined,
    );
    const report = await suite.result(labToken, nhs, 132);
    await suite.until('the entitled practice told of the result', () =>
      entitledHook.applied.length >= 1 ? true : undefined,
    );
    expect(entitledHook.applied.map((a) => [a.eventNumber, a.focus])).toEqual([
      [1, suite.reportUrl(report)],
    ]);
    // recorded in the same inbox transaction: the other practice's stream holds nothing
    expect(await suite.status(plainSub, plain.token)).toEqual({
      status: 'active',
      eventsSinceStart: 0,
    });
    expect(plainHook.deliveries).toEqual([]);
    // as a read: the entitled practice reads the report; the other is not shown it
    const reads = await Promise.all(
      [entitled.token, plain.token].map((t) => suite.fhir(`DiagnosticReport/${report}`, t)),
    );
    expect(reads.map((r) => r.status)).toEqual([200, 404]);
  });
});

/** The gateway's access audit records (its outbox) of the system's DiagnosticReport calls. */
async function gatewayAuditOf(systemId: string) {
  const pg = new Pg({ connectionString: suite.stack.gw.schema.url });
  await pg.connect();
  try {
    const rows = await pg.query<{ payload: Buffer }>(
      `SELECT payload FROM ${suite.stack.gw.schema.schema}.outbox_events WHERE ce_type LIKE '%AccessRecorded%'`,
    );
    return rows.rows
      .map((r) => events.v1.AccessRecorded.decode(r.payload))
      .filter((a) => a.systemId === systemId && a.interaction.includes('DiagnosticReport'));
  } finally {
    await pg.end();
  }
}

describe('full-resource notifications', () => {
  it("carry the focus as the subscriber's own FHIR read returns it, each delivery an audited read of that system", async () => {
    const [registrar, gp] = await Promise.all([
      suite.stack.token(['system/Patient.cruds'], GP_ODS),
      suite.stack.token([...READ, 'system/Patient.r'], GP_ODS),
    ]);
    const nhs = await suite.patient(registrar.token, GP_ODS);
    const gpHook = await hook();
    const sub = await subscribe(gp.token, gpHook.url, nhs, undefined, 'full-resource');
    const report = await suite.result(labToken, nhs, 127);
    const delivered = await suite.until('the full-resource notification', () => gpHook.applied[0]);
    const read = await suite.fhir(`DiagnosticReport/${report}`, gp.token);
    expect(read.status).toBe(200);
    expect(delivered.focus).toBe(suite.reportUrl(report));
    expect(delivered.resource).toEqual(read.body);
    // the delivery was a read of the subscriber with the delivery service as its actor, audited
    const delivery = (a: events.v1.AccessRecorded) => a.userId === 'notifications';
    const audited = await suite
      .until('the delivery read in the audit trail', async () => {
        const records = await gatewayAuditOf(gp.systemId);
        return records.some(delivery) ? records : undefined;
      })
      .catch(async (err: unknown) => {
        const records = await gatewayAuditOf(gp.systemId);
        throw new Error(`${String(err)}\naudit of the system: ${JSON.stringify(records)}`);
      });
    expect(
      audited
        .filter(delivery)
        .map((a) => [a.outcome, a.action, a.interaction, a.resourceId, a.patientNhsNumber]),
    ).toEqual([['0', 'R', 'GET /fhir/DiagnosticReport/:id', report, nhs]]);
    // $events honours the subscription's content (backport IG): the missed range comes with the
    // resources, read as the push delivery reads them; content=id-only asks for references only
    const replay = (content = '') =>
      suite.fhir<Bundle>(
        `Subscription/${sub}/$events?eventsSinceNumber=1&eventsUntilNumber=1${content}`,
        gp.token,
      );
    const [full, idOnly] = await Promise.all([replay(), replay('&content=id-only')]);
    expect(full.status).toBe(200);
    expect(full.body.entry?.[1]?.fullUrl).toBe(suite.reportUrl(report));
    expect(full.body.entry?.[1]?.resource).toEqual(read.body);
    expect(idOnly.body.entry?.[1]?.fullUrl).toBe(suite.reportUrl(report));
    expect(idOnly.body.entry?.[1]).not.toHaveProperty('resource');
  });
});

describe('delivery tokens (the gateway side of full-resource)', () => {
  /** POSTs the delivery-token form as `service` (none: no service token). */
  async function ask(systemId: string, scope: string, service?: string) {
    const res = await fetch(`${suite.stack.gw.baseUrl}/internal/notifications/delivery-token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(service ? { [SERVICE_TOKEN_HEADER]: loadServiceIdentity({ service }).token() } : {}),
      },
      body: new URLSearchParams({ system_id: systemId, scope }).toString(),
    });
    const body = (await res.json()) as { error?: string; scope?: string; access_token?: string };
    return [res.status, body.error ?? body.scope];
  }

  it('are given only to the notifications service, only read scopes the system is allowed, only while it is active', async () => {
    const gp = await suite.stack.token([...READ, 'system/Patient.cruds'], GP_ODS);
    const read = 'system/DiagnosticReport.rs system/Patient.r';
    expect(await ask(gp.systemId, read, 'notifications')).toEqual([200, read]);
    expect([
      await ask(gp.systemId, read),
      await ask(gp.systemId, read, 'results'),
      await ask(gp.systemId, 'system/Patient.u', 'notifications'),
      await ask(gp.systemId, 'system/Appointment.r', 'notifications'),
      await ask(gp.systemId, 'trellis/restricted.read', 'notifications'),
      await ask('no-such-system', read, 'notifications'),
    ]).toEqual([
      [401, 'invalid_client'],
      [403, 'unauthorized_client'],
      [400, 'invalid_scope'],
      [400, 'invalid_scope'],
      [400, 'invalid_scope'],
      [400, 'invalid_request'],
    ]);
    const systems = suite.stack.gw.handle.app.get(SystemsService);
    await systems.suspend(gp.systemId, 'subscription suite: delivery token', BOOTSTRAP_CALLER);
    expect(await ask(gp.systemId, read, 'notifications')).toEqual([400, 'invalid_grant']);
  });
});
