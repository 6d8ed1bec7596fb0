// Compliance enforcement at the gateway: a ComplianceEnforced decision withdraws the write scopes
// of every system deploying the product version (reads continue), through the registry and the
// suspension feed; ComplianceRestored (operator override) gives them back. Every step is logged
// and published as ConnectedSystemChanged.
import { randomUUID } from 'node:crypto';

import { events, toTimestamp } from '@trellis/contracts';
import {
  createEventBus,
  dlqTopicName,
  kafkaConfigFromEnv,
  toCloudEventHeaders,
  TOPICS,
  type EventBus,
  type OutgoingMessage,
} from '@trellis/events';
import { uniqueGroupId, uniqueTopic } from '@trellis/testing';

import { GatewayPrismaService } from '../src/app/database/gateway-prisma.service';
import { ProductsService } from '../src/app/products/products.service';
import {
  assertion,
  BOOTSTRAP_CALLER,
  getToken,
  registerClient,
  requestToken,
  startGateway,
  type GatewayUnderTest,
  type TestClient,
} from './support/harness';

jest.setTimeout(120_000);

const PV = 'risky-gp@3.0';
const SCOPES = 'system/Patient.cruds';
const liveScopes = { scopes: [SCOPES], lifecycle: 'live' as const };

function decision(topic: string, type: 'Enforced' | 'Restored'): OutgoingMessage {
  const now = new Date();
  const finding = {
    productVersionId: PV,
    severity: 'error',
    rate: 0.42,
    requests: 300,
    windowMinutes: 60,
    threshold: 0.2,
    policyVersion: 'conformance-policy-1',
    topRules: ['nhs-number.check-digit'],
  };
  const value =
    type === 'Enforced'
      ? events.v1.ComplianceEnforced.encode(
          events.v1.ComplianceEnforced.fromPartial({ finding, version: 2 }),
        ).finish()
      : events.v1.ComplianceRestored.encode(
          events.v1.ComplianceRestored.fromPartial({
            productVersionId: PV,
            cause: events.v1.ComplianceRestoreCause.COMPLIANCE_RESTORE_CAUSE_OPERATOR_OVERRIDE,
            reason: 'hotfix verified in the sandbox',
            actor: 'operator-console',
            overrideUntil: toTimestamp(new Date(now.getTime() + 3600_000)),
            version: 3,
            writesWereRestricted: true,
          }),
        ).finish();
  return {
    topic,
    key: PV,
    value,
    headers: toCloudEventHeaders({
      id: randomUUID(),
      source: '/trellis/conformance',
      type: `uk.nhs.trellis.conformance.Compliance${type}.v1`,
      time: now.toISOString(),
      subject: PV,
    }),
  };
}

describe('compliance enforcement at the gateway', () => {
  const topic = uniqueTopic('trellis.test.compliance');
  let bus: EventBus;
  let gw: GatewayUnderTest;
  let a: TestClient;
  let b: TestClient;
  let other: TestClient;

  beforeAll(async () => {
    bus = createEventBus(kafkaConfigFromEnv(process.env, 'compliance-test'));
    const admin = bus.admin();
    await admin.connect();
    const spec = { ...TOPICS.conformanceCompliance, retentionMs: 3_600_000 };
    await admin.createTopics([
      { ...spec, name: topic },
      { ...spec, name: dlqTopicName(topic), partitions: 1 },
    ]);
    await admin.disconnect();
    gw = await startGateway({
      GATEWAY_COMPLIANCE_TOPIC: topic,
      GATEWAY_COMPLIANCE_GROUP: uniqueGroupId('gw-compliance'),
    });
    const products = gw.handle.app.get(ProductsService);
    await products.registerProduct(
      { id: 'risky-gp', supplier: 'Risky', name: 'Risky GP', role: 'gp_system' },
      BOOTSTRAP_CALLER,
    );
    await products.registerVersion('risky-gp', '3.0', BOOTSTRAP_CALLER);
    await products.registerVersion('risky-gp', '3.1', BOOTSTRAP_CALLER);
    // live deployments (issue 18: only a live system calls the platforms outside a session)
    a = await registerClient(gw, { ...liveScopes, productVersionId: PV });
    b = await registerClient(gw, { ...liveScopes, productVersionId: PV });
    other = await registerClient(gw, { ...liveScopes, productVersionId: 'risky-gp@3.1' });
    // tokens held from before the enforcement: the guard withdraws their writes (a new token of
    // an enforced version gets none: its certificate is suspended, issue 17's gate)
    for (const c of [a, b, other]) tokens.set(c.id, await getToken(gw, c, SCOPES));
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const tokens = new Map<string, string>();
  const tokenOf = async (client: TestClient): Promise<string> =>
    tokens.get(client.id) ?? getToken(gw, client, SCOPES);

  async function post(
    client: TestClient,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const token = await tokenOf(client);
    const res = await fetch(`${gw.baseUrl}/fhir/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient' }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  async function read(client: TestClient): Promise<number> {
    const token = await tokenOf(client);
    const res = await fetch(`${gw.baseUrl}/fhir/Patient/9990000018`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await res.arrayBuffer();
    return res.status;
  }

  it('withdraws write scopes of every deployment within 10 s, keeps reads, gives them back on override', async () => {
    expect((await post(a)).status).not.toBe(403);
    const publisher = bus.publisher();
    await publisher.connect();
    try {
      await publisher.publish([decision(topic, 'Enforced')]);
      const started = Date.now();
      let last = await post(a);
      while (last.status !== 403 && Date.now() - started < 10_000) {
        await new Promise((r) => setTimeout(r, 200));
        last = await post(a);
      }
      expect(last.status).toBe(403);
      expect(JSON.stringify(last.body)).toMatch(/compliance enforcement/);
      expect((await post(b)).status).toBe(403);
      expect((await post(other)).status).not.toBe(403); // another version is not touched
      expect(await read(a)).not.toBe(403); // reads continue

      const prisma = gw.handle.app.get(GatewayPrismaService);
      const systems = await prisma.connectedSystem.findMany({
        where: { productVersionId: PV },
        orderBy: { id: 'asc' },
      });
      expect(systems.map((s) => s.writesRestricted)).toEqual([true, true]);
      const changes = await prisma.connectedSystemChange.findMany({
        where: { systemId: a.id, change: 'WRITES_RESTRICTED' },
      });
      expect(changes).toHaveLength(1);
      expect(changes[0]!.reason).toMatch(/error rate 0.42 > 0.2/);
      const published = await prisma.outboxEvent.findMany({
        where: { key: a.id, topic: gw.systemTopic },
        orderBy: { seq: 'asc' },
      });
      const states = published.map((r) => events.v1.ConnectedSystemChanged.decode(r.payload));
      expect(states.at(-1)).toMatchObject({ writesRestricted: true });
      // a deployment registered while the version is enforced inherits the restriction: its
      // row is restricted, and its token gets no write scope (the certificate is suspended)
      const late = await registerClient(gw, { ...liveScopes, productVersionId: PV });
      const lateRow = await prisma.connectedSystem.findUniqueOrThrow({ where: { id: late.id } });
      expect(lateRow.writesRestricted).toBe(true);
      const lateToken = await requestToken(gw.tokenUrl, {
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await assertion(late, gw.tokenUrl),
        scope: SCOPES,
      });
      expect(lateToken.status).toBe(400);
      expect(lateToken.body['error']).toBe('invalid_scope');

      await publisher.publish([decision(topic, 'Restored')]);
      const restoredAt = Date.now();
      last = await post(a);
      while (last.status === 403 && Date.now() - restoredAt < 10_000) {
        await new Promise((r) => setTimeout(r, 200));
        last = await post(a);
      }
      expect(last.status).not.toBe(403);
      expect((await post(late)).status).not.toBe(403);
      const restored = await prisma.connectedSystemChange.findMany({
        where: { systemId: a.id, change: 'WRITES_RESTORED' },
      });
      expect(restored.map((c) => [c.actor, c.reason])).toEqual([
        ['operator-console', 'operator override: hotfix verified in the sandbox'],
      ]);
    } finally {
      await publisher.disconnect();
    }
  });
});
