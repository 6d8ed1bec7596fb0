// Issue 16 end to end (real gateway, identity, conformance processes, PostgreSQL and Kafka): a
// scripted good and bad supplier system call through both doors; their scorecards match the
// test's own counts, request for request — after the conformance service is killed mid-stream
// and restarted, and after a replay into an empty schema. Then the bad product version crosses
// the policy's thresholds: warned, enforced (writes refused at both doors within 10 s, reads
// still served), and the operator's override gives writes back; every step is an event.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { fakerEN_GB as faker } from '@faker-js/faker';
import { status } from '@grpc/grpc-js';
import { forwardedTestKit } from '@trellis/auth/testing';
import { conformance, events } from '@trellis/contracts';
import {
  createEventBus,
  createOutboxRelay,
  dlqTopicName,
  kafkaConfigFromEnv,
  TOPICS,
  type EventPublisher,
  type OutboxRelay,
} from '@trellis/events';
import {
  createTestSchema,
  freePort,
  serviceEnv,
  spawnService,
  uniqueGroupId,
  uniqueTopic,
  type ServiceProcess,
  type TestSchema,
  waitUntil,
  withTypedClient,
} from '@trellis/testing';

import { ProductsService } from '../src/app/products/products.service';
import { startFhirStack, type FhirStack } from './fhir.harness';
import {
  BOOTSTRAP_CALLER,
  collect,
  createTopics,
  deleteTopics,
  getToken,
  registerClient,
  type TestClient,
} from './support/harness';
import { registerStatusOf, seedCertificate } from './support/certification-fixtures';
import { RawGrpc } from './support/two-doors';

jest.setTimeout(600_000);

const GET_PATIENT = '/trellis.identity.v1.PatientService/GetPatient';
const REGISTER_PATIENT = '/trellis.identity.v1.PatientService/RegisterPatient';
const SCOPES = 'system/Patient.cruds system/MeasureReport.rs';
const GOOD_PV = 'steady-gp@5.0';
const BAD_PV = 'sloppy-gp@1.9';

interface Tally {
  requests: number;
  accepted: number;
  refused: number;
}

describe('conformance end to end: both doors, crash, replay, consequences', () => {
  const complianceTopic = uniqueTopic('trellis.test.e2e-compliance');
  // the stack's platforms run no outbox relay: this test relays identity's access audit (only)
  // to a topic of its own, as identity's relay would to trellis.audit.access.v1
  const identityAuditTopic = uniqueTopic('trellis.test.e2e-identity-audit');
  let relay: OutboxRelay;
  let publisher: EventPublisher;
  let stack: FhirStack;
  let door: RawGrpc;
  let port: number;
  let policyDir: string;
  const schemas: TestSchema[] = [];
  const processes: ServiceProcess[] = [];
  let badCertificate = '';
  let operator: TestClient;
  let good: TestClient;
  let bad: TestClient;
  const tally = new Map<string, Tally>();

  beforeAll(async () => {
    await createTopics([
      { name: complianceTopic },
      { name: dlqTopicName(complianceTopic) },
      { name: identityAuditTopic },
      { name: dlqTopicName(identityAuditTopic) },
    ]);
    port = await freePort();
    stack = await startFhirStack(
      {},
      {
        gatewayEnv: {
          CONFORMANCE_GRPC_ADDR: `127.0.0.1:${port}`,
          GATEWAY_COMPLIANCE_TOPIC: complianceTopic,
          GATEWAY_COMPLIANCE_GROUP: uniqueGroupId('e2e-compliance'),
        },
      },
    );
    door = new RawGrpc(stack.frontDoor);
    const real = createEventBus(kafkaConfigFromEnv(process.env, 'e2e-relay')).publisher();
    publisher = {
      connect: () => real.connect(),
      disconnect: () => real.disconnect(),
      publish: (messages) =>
        real.publish(
          messages
            .filter((m) => m.topic === TOPICS.auditAccess.name)
            .map((m) => ({ ...m, topic: identityAuditTopic })),
        ),
    };
    relay = createOutboxRelay({
      databaseUrl: stack.identitySchema.url,
      schema: stack.identitySchema.schema,
      publisher,
      pollIntervalMs: 200,
    });
    await relay.start();
    const products = stack.gw.handle.app.get(ProductsService);
    for (const [id, version] of [GOOD_PV.split('@'), BAD_PV.split('@')] as Array<
      [string, string]
    >) {
      await products.registerProduct(
        { id, supplier: `${id} Ltd`, name: id, role: 'gp_system' },
        BOOTSTRAP_CALLER,
      );
      await products.registerVersion(id, version, BOOTSTRAP_CALLER);
    }
    operator = await registerClient(stack.gw, {
      scopes: ['trellis/admin', 'system/MeasureReport.rs'],
    });
    // issue 17: the bad version holds a conformance certificate that enforcement must suspend
    badCertificate = await seedCertificate(stack.gw, BAD_PV);
    // both deployments are live (issue 18: the sandbox reaches the platforms in sessions only)
    const live = { scopes: SCOPES.split(' '), lifecycle: 'live' as const };
    good = await registerClient(stack.gw, { ...live, productVersionId: GOOD_PV });
    bad = await registerClient(stack.gw, { ...live, productVersionId: BAD_PV });
    policyDir = mkdtempSync(join(tmpdir(), 'e2e-policy-'));
    writeFileSync(
      join(policyDir, 'policy.json'),
      JSON.stringify({
        version: 'e2e-policy-1',
        thresholds: {
          error: {
            windowMinutes: 30,
            minRequests: 10,
            warnAbove: 0.1,
            enforceAbove: 0.3,
            graceMinutes: 0,
            recoverAtOrBelow: 0.05,
            minEnforcedMinutes: 30,
          },
        },
      }),
    );
  });

  afterAll(async () => {
    for (const p of processes) if (p.running) await p.stop().catch(() => undefined);
    await relay?.stop({ flush: false });
    await publisher?.disconnect().catch(() => undefined);
    door?.close();
    await stack?.stop();
    for (const s of schemas) await s.drop();
    await deleteTopics([
      complianceTopic,
      dlqTopicName(complianceTopic),
      identityAuditTopic,
      dlqTopicName(identityAuditTopic),
    ]);
    if (policyDir) rmSync(policyDir, { recursive: true, force: true });
  });

  async function conformance(
    schema: string,
    group: string,
    policyIntervalMs: number,
  ): Promise<ServiceProcess> {
    const p = await spawnService({
      name: 'conformance',
      env: serviceEnv({
        SERVICE_NAME: 'conformance',
        DATABASE_SCHEMA: schema,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(port),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        AUTH_ISSUER: stack.gw.baseUrl,
        AUTH_JWKS_URL: `${stack.gw.baseUrl}/.well-known/jwks.json`,
        // the gateway's records + identity's (calls forwarded by the gRPC door)
        CONFORMANCE_ACCESS_TOPIC: `${stack.gw.auditTopic},${identityAuditTopic}`,
        CONFORMANCE_VIOLATION_TOPIC: stack.conformanceTopic,
        CONFORMANCE_COMPLIANCE_TOPIC: complianceTopic,
        CONFORMANCE_GROUP: group,
        CONFORMANCE_POLICY_FILE: join(policyDir, 'policy.json'),
        CONFORMANCE_POLICY_INTERVAL_MS: String(policyIntervalMs),
        LOG_LEVEL: 'warn',
      }),
      ready: { grpc: `127.0.0.1:${port}` },
      onUnexpectedExit: () => undefined,
    });
    processes.push(p);
    return p;
  }

  const count = (c: TestClient, ok: boolean) => {
    const t = tally.get(c.id) ?? { requests: 0, accepted: 0, refused: 0 };
    t.requests++;
    if (ok) t.accepted++;
    else t.refused++;
    tally.set(c.id, t);
  };

  function patient(): Record<string, unknown> {
    return {
      resourceType: 'Patient',
      name: [{ family: faker.person.lastName(), given: [faker.person.firstName()] }],
      gender: faker.helpers.arrayElement(['male', 'female']),
      birthDate: faker.date.birthdate({ min: 20, max: 80, mode: 'age' }).toISOString().slice(0, 10),
    };
  }

  /**
   * Tokens are reused (a live system's token of an enforced version gets no write scope at the
   * token endpoint, its certificate being suspended: the guard's withdrawal is shown on a token
   * held from before); renewed after 200 s, and fresh when the consequences start.
   */
  const tokens = new Map<string, { token: string; at: number }>();
  async function tokenOf(c: TestClient): Promise<string> {
    const held = tokens.get(c.id);
    if (held && Date.now() - held.at < 200_000) return held.token;
    const token = await getToken(stack.gw, c, SCOPES);
    tokens.set(c.id, { token, at: Date.now() });
    return token;
  }

  async function rest(c: TestClient, body: unknown): Promise<{ status: number; nhs?: string }> {
    const token = await tokenOf(c);
    const res = await fetch(`${stack.fhirBase}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { identifier?: Array<{ value?: string }> };
    return {
      status: res.status,
      ...(json.identifier?.[0]?.value ? { nhs: json.identifier[0].value } : {}),
    };
  }

  async function grpc(c: TestClient, path: string, request: object): Promise<number> {
    const token = await tokenOf(c);
    return (await door.call(path, { token, request })).code;
  }

  /** Requests and accepted per system, as the gateway's MeasureReport says. */
  async function card(c: TestClient): Promise<number[] | undefined> {
    const token = await getToken(stack.gw, operator, 'trellis/admin system/MeasureReport.rs');
    const res = await fetch(`${stack.fhirBase}/MeasureReport?subject=Device/${c.id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as {
      entry?: Array<{ resource: { group: Array<{ population?: Array<{ count: number }> }> } }>;
    };
    return body.entry?.[0]?.resource.group[0]?.population?.map((p) => p.count);
  }
  const expected = (c: TestClient) => {
    const t = tally.get(c.id)!;
    return [t.requests, t.accepted + t.refused, t.accepted];
  };
  const until = (what: string, ok: () => Promise<boolean>, ms = 120_000): Promise<void> =>
    waitUntil(what, ok, { timeoutMs: ms, intervalMs: 300 });

  it('counts both doors as the test counted, through a SIGKILL and a replay; then enforces', async () => {
    const first = await createTestSchema('conformance');
    schemas.push(first);
    const group = uniqueGroupId('e2e-conformance');
    const victim = await conformance(first.schema, group, 0);

    // --- scripted traffic, with the conformance service killed half way --------------------------
    const created: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await rest(good, patient());
      count(good, r.status === 201);
      if (r.nhs) created.push(r.nhs);
      const b = await rest(bad, {
        ...patient(),
        identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9990000019' }],
      });
      count(bad, b.status < 400);
      const g = await grpc(bad, REGISTER_PATIENT, {});
      count(bad, g === 0);
      if (i === 3) {
        process.kill(victim.pid, 'SIGKILL');
        await victim.exited;
      }
    }
    for (const nhs of created) {
      count(good, (await grpc(good, GET_PATIENT, { nhsNumber: nhs })) === 0);
      count(bad, (await grpc(bad, GET_PATIENT, { nhsNumber: nhs })) === 0);
    }
    expect(tally.get(good.id)).toMatchObject({ refused: 0 });
    expect(tally.get(bad.id)!.refused).toBeGreaterThanOrEqual(16);

    const restarted = await conformance(first.schema, group, 0);
    for (const c of [good, bad]) {
      let seen: number[] | undefined;
      await until(
        `${c.id === good.id ? 'good' : 'bad'} counted`,
        async () => JSON.stringify((seen = await card(c))) === JSON.stringify(expected(c)),
      ).catch((e: unknown) => {
        throw new Error(
          `${String(e)}: card ${JSON.stringify(seen)} expected ${JSON.stringify(expected(c))}`,
        );
      });
    }
    await restarted.stop();

    // --- replay into an empty schema ----------------------------------------------------------
    const second = await createTestSchema('conformance');
    schemas.push(second);
    const replayer = await conformance(second.schema, uniqueGroupId('e2e-replay'), 0);
    for (const c of [good, bad])
      await until(
        `${c.id} replayed`,
        async () => JSON.stringify(await card(c)) === JSON.stringify(expected(c)),
      );
    await replayer.stop();

    // --- consequences: the policy sweeps again on the first schema -----------------------------
    tokens.clear();
    await Promise.all([good, bad].map(tokenOf));
    const compliance = await collect(complianceTopic);
    const enforcer = await conformance(first.schema, group, 500);
    await until('ComplianceEnforced published', async () =>
      compliance.messages.some((m) =>
        String(m.headers?.['ce_type']).includes('ComplianceEnforced'),
      ),
    );
    const enforcedAt = Date.now();
    await until(
      'writes refused at both doors',
      async () => {
        const r = await rest(bad, patient());
        const g = await grpc(bad, REGISTER_PATIENT, {});
        return r.status === 403 && g === status.PERMISSION_DENIED;
      },
      10_000,
    );
    expect(Date.now() - enforcedAt).toBeLessThanOrEqual(10_000);
    // the certificate is suspended in the public register, with the writes
    await until(
      'certificate suspended',
      async () => (await registerStatusOf(stack.fhirBase, badCertificate)) === 'suspended',
      10_000,
    );
    // reads continue at both doors, and the good product is untouched
    expect(await grpc(bad, GET_PATIENT, { nhsNumber: created[0]! })).toBe(0);
    expect((await rest(good, patient())).status).toBe(201);

    // the operator overrides with a reason: writes come back
    const adminToken = await getToken(stack.gw, operator, 'trellis/admin system/MeasureReport.rs');
    await overrideCompliance(
      `127.0.0.1:${port}`,
      adminToken,
      BAD_PV,
      'supplier patch 1.9.1 verified',
    );
    await until('writes restored', async () => (await rest(bad, patient())).status !== 403, 10_000);
    await until(
      'certificate reinstated',
      async () => (await registerStatusOf(stack.fhirBase, badCertificate)) === 'active',
      10_000,
    );
    await enforcer.stop();
    await compliance.stop();
    const types = compliance.messages
      .filter((m) => m.key?.toString() === BAD_PV)
      .map((m) => String(m.headers?.['ce_type']).split('.').at(-2));
    // the override holds enforcement off; the rate is still high, so a new warning may follow
    expect(types.slice(0, 3)).toEqual([
      'ComplianceWarning',
      'ComplianceEnforced',
      'ComplianceRestored',
    ]);
    expect(types.slice(3).every((t) => t === 'ComplianceWarning')).toBe(true);
    const restoredMessage = compliance.messages.find((m) =>
      String(m.headers?.['ce_type']).includes('ComplianceRestored'),
    );
    const restored = events.v1.ComplianceRestored.decode(restoredMessage!.value!);
    expect(restored).toMatchObject({
      reason: 'supplier patch 1.9.1 verified',
      writesWereRestricted: true,
    });
  });
});

/** The operator's OverrideCompliance on the conformance service (typed, as an external caller). */
async function overrideCompliance(
  address: string,
  token: string,
  pv: string,
  reason: string,
): Promise<void> {
  const kit = forwardedTestKit({ serviceIdentity: false });
  await withTypedClient(address, conformance.v1.ScorecardServiceDefinition, kit, (client) =>
    client.overrideCompliance({ productVersionId: pv, reason, hours: 1 }, kit.as(token)),
  );
}
