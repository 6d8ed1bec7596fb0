// Issue 18: a regional authority reads the scorecards and certificates of its own region's systems
// only — the regional JSON door (/admin/v1/regions/:region/scorecards, /certificates) and the FHIR
// MeasureReport door, against the real conformance service (a spawned process counting events from
// Kafka and following the gateway's suspension feed for each system's region).
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
import {
  createTestSchema,
  freePort,
  serviceEnv,
  spawnService,
  uniqueGroupId,
  uniqueTopic,
  type ServiceProcess,
  type TestSchema,
} from '@trellis/testing';

import { GatewayPrismaService } from '../src/app/database/gateway-prisma.service';
import { ProductsService } from '../src/app/products/products.service';
import { regionalGrpc, type RegionalAuthority } from './support/regional-client';
import {
  BOOTSTRAP_CALLER,
  deleteTopics,
  getToken,
  registerClient,
  startGateway,
  type GatewayUnderTest,
  type TestClient,
} from './support/harness';

jest.setTimeout(180_000);

const READ = 'system/MeasureReport.rs';

function access(
  topic: string,
  systemId: string,
  pv: string,
  at: Date,
  refused: boolean,
): OutgoingMessage {
  const record = events.v1.AccessRecorded.fromPartial({
    auditId: randomUUID(),
    recordedAt: toTimestamp(at),
    action: 'R',
    outcome: refused ? '4' : '0',
    outcomeDescription: refused ? 'http 422' : '',
    interaction: 'GET /fhir/Patient',
    systemId,
    sourceService: 'gateway',
    resourceType: 'Patient',
    productVersionId: pv,
  });
  return {
    topic,
    key: systemId,
    value: events.v1.AccessRecorded.encode(record).finish(),
    headers: toCloudEventHeaders({
      id: record.auditId,
      source: '/trellis/gateway',
      type: 'uk.nhs.trellis.audit.AccessRecorded.v1',
      time: at.toISOString(),
      subject: systemId,
      dataschema: 'proto:trellis.events.v1.AccessRecorded',
    }),
  };
}

describe('regional reads: scorecards and certificates of the region only', () => {
  const topics = {
    access: uniqueTopic('trellis.test.rr-access'),
    violation: uniqueTopic('trellis.test.rr-violation'),
  };
  let gw: GatewayUnderTest;
  let bus: EventBus;
  let schema: TestSchema;
  let conformance: ServiceProcess;
  const tokens = {} as Record<'ne' | 'london' | 'national' | 'local', string>;
  let neSystem: TestClient;
  let londonSystem: TestClient;
  const hour = 3_600_000;
  const start = new Date(Math.floor(Date.now() / hour) * hour - hour);
  const end = new Date(start.getTime() + hour);
  const pvNe = `rr-${randomUUID().slice(0, 6)}`;
  const pvLondon = `rr-${randomUUID().slice(0, 6)}`;
  const regionPrefix = `${uniqueTopic('trellis.test.rr-region')}.`;

  beforeAll(async () => {
    bus = createEventBus(kafkaConfigFromEnv(process.env, 'regional-reads-test'));
    const admin = bus.admin();
    await admin.connect();
    const spec = { ...TOPICS.gatewayConformance, retentionMs: 3_600_000, partitions: 3 };
    await admin.createTopics([
      ...['north-east', 'london'].map((r) => ({ ...spec, name: `${regionPrefix}${r}.v1` })),
      ...[topics.access, topics.violation].flatMap((t) => [
        { ...spec, name: t },
        { ...spec, name: dlqTopicName(t), partitions: 1 },
      ]),
    ]);
    await admin.disconnect();

    const port = await freePort();
    gw = await startGateway({
      CONFORMANCE_GRPC_ADDR: `127.0.0.1:${port}`,
      GATEWAY_REGION_TOPIC_PREFIX: regionPrefix,
    });
    schema = await createTestSchema('conformance');
    conformance = await spawnService({
      name: 'conformance',
      env: serviceEnv({
        SERVICE_NAME: 'conformance',
        DATABASE_SCHEMA: schema.schema,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(port),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        AUTH_ISSUER: gw.baseUrl,
        AUTH_JWKS_URL: `${gw.baseUrl}/.well-known/jwks.json`,
        CONFORMANCE_ACCESS_TOPIC: topics.access,
        CONFORMANCE_VIOLATION_TOPIC: topics.violation,
        CONFORMANCE_SYSTEM_TOPIC: gw.systemTopic,
        CONFORMANCE_GROUP: uniqueGroupId('rr'),
        LOG_LEVEL: 'warn',
      }),
      ready: { grpc: `127.0.0.1:${port}` },
    });

    const products = gw.handle.app.get(ProductsService);
    for (const id of [pvNe, pvLondon]) {
      await products.registerProduct(
        { id, supplier: 'Regional Ltd', name: `Regional ${id}`, role: 'gp_system' },
        BOOTSTRAP_CALLER,
      );
      await products.registerVersion(id, '1.0', BOOTSTRAP_CALLER);
    }
    neSystem = await registerClient(gw, {
      scopes: [READ],
      odsCode: 'A81001',
      region: 'north-east',
      productVersionId: `${pvNe}@1.0`,
    });
    londonSystem = await registerClient(gw, {
      scopes: [READ],
      odsCode: 'E81001',
      region: 'london',
      productVersionId: `${pvLondon}@1.0`,
    });
    const who = {
      ne: {
        scopes: [READ, 'region/north-east/scorecards.read'],
        odsCode: 'YRA01',
        region: 'north-east',
      },
      london: {
        scopes: [READ, 'region/london/scorecards.read'],
        odsCode: 'YRA06',
        region: 'london',
      },
      national: { scopes: ['trellis/admin', READ], odsCode: 'X26', region: 'london' },
      local: { scopes: [READ], odsCode: 'A81001', region: 'north-east' },
    };
    for (const k of Object.keys(who) as (keyof typeof who)[]) {
      const c = await registerClient(gw, who[k]);
      tokens[k] = await getToken(gw, c, who[k].scopes.join(' '));
    }
    // the kit's certificates of both versions, as its register holds them
    const prisma = gw.handle.app.get(GatewayPrismaService);
    for (const id of [pvNe, pvLondon])
      await prisma.conformanceCertificate.create({
        data: {
          id: randomUUID(),
          productVersionId: `${id}@1.0`,
          role: 'gp-system',
          rulesVersion: 'trellis-rules-2026.12',
          supplier: 'Regional Ltd',
          product: id,
          version: '1.0',
          sessionId: randomUUID(),
          testReportIds: [],
          jwt: 'issued-by-the-kit',
          status: 'active',
          issuedAt: new Date(),
          expiresAt: new Date(Date.now() + 365 * 24 * hour),
        },
      });
    // north-east: 3 accepted, 1 refused; london: 2 accepted
    const at = (i: number) => new Date(start.getTime() + 60_000 * (i + 1));
    const publisher = bus.publisher();
    await publisher.connect();
    await publisher.publish([
      ...[0, 1, 2].map((i) => access(topics.access, neSystem.id, `${pvNe}@1.0`, at(i), false)),
      access(topics.access, neSystem.id, `${pvNe}@1.0`, at(3), true),
      ...[0, 1].map((i) => access(topics.access, londonSystem.id, `${pvLondon}@1.0`, at(i), false)),
    ]);
    await publisher.disconnect();
  });

  afterAll(async () => {
    await conformance?.stop().catch(() => undefined);
    await gw?.stop();
    await schema?.drop();
    await deleteTopics(['north-east', 'london'].map((r) => `${regionPrefix}${r}.v1`));
  });

  const get = async (who: keyof typeof tokens, path: string) => {
    const res = await fetch(`${gw.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${tokens[who]}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const q = `periodStart=${start.toISOString()}&periodEnd=${end.toISOString()}`;
  type Card = { systemId: string; card: { requests: number; refused: number } | null };

  it("north-east's authority reads the cards of north-east's systems, counted from the traffic", async () => {
    let cards: Card[] = [];
    const deadline = Date.now() + 90_000;
    for (;;) {
      const r = await get('ne', `/admin/v1/regions/north-east/scorecards?${q}`);
      expect(r.status).toBe(200);
      cards = r.body['scorecards'] as Card[];
      if (cards.find((c) => c.systemId === neSystem.id)?.card?.requests === 4) break;
      if (Date.now() > deadline) throw new Error(`not counted: ${JSON.stringify(cards)}`);
      await new Promise((res) => setTimeout(res, 300));
    }
    expect(cards.find((c) => c.systemId === neSystem.id)?.card).toMatchObject({
      requests: 4,
      refused: 1,
    });
    expect(cards.some((c) => c.systemId === londonSystem.id)).toBe(false);
  });

  it('the FHIR door: its region’s system card yes, another region’s no (the conformance service decides)', async () => {
    const period = `period=ge${start.toISOString()}&period=lt${end.toISOString()}`;
    let own = await get('ne', `/fhir/MeasureReport?subject=Device/${neSystem.id}&${period}`);
    const deadline = Date.now() + 90_000;
    while (own.status !== 200 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 300));
      own = await get('ne', `/fhir/MeasureReport?subject=Device/${neSystem.id}&${period}`);
    }
    expect(own.status).toBe(200);
    const foreign = await get(
      'ne',
      `/fhir/MeasureReport?subject=Device/${londonSystem.id}&${period}`,
    );
    expect(foreign.status).toBe(403);
  });

  it('the gRPC door: ListRegionScorecards and ListRegionCertificates, own region only', async () => {
    const grpc = regionalGrpc(gw.grpcAddress);
    try {
      const period = { periodStart: toTimestamp(start), periodEnd: toTimestamp(end) };
      const cards = await grpc.answer(tokens.ne, (c) =>
        c.listRegionScorecards({ region: 'north-east', ...period }),
      );
      expect(cards.ok).toBe(true);
      const mine = cards.ok ? cards.body.scorecards : [];
      expect(mine.find((c) => c.systemId === neSystem.id)).toMatchObject({
        counted: true,
        requests: 4,
        refused: 1,
      });
      expect(mine.some((c) => c.systemId === londonSystem.id)).toBe(false);
      const certs = await grpc.answer(tokens.ne, (c) =>
        c.listRegionCertificates({ region: 'north-east' }),
      );
      expect(certs.ok && certs.body.certificates.map((c) => c.productVersionId)).toContain(
        `${pvNe}@1.0`,
      );
      const reads: ((c: RegionalAuthority) => Promise<unknown>)[] = [
        (c) => c.listRegionScorecards({ region: 'north-east' }),
        (c) => c.listRegionCertificates({ region: 'north-east' }),
      ];
      for (const read of reads)
        for (const who of ['london', 'local'] as const)
          expect(await grpc.answer(tokens[who], read)).toMatchObject({
            ok: false,
            status: 'PERMISSION_DENIED',
          });
    } finally {
      grpc.close();
    }
  });

  it('certificates of the region’s deployed versions only; other region, local system refused', async () => {
    const r = await get('ne', '/admin/v1/regions/north-east/certificates');
    expect(r.status).toBe(200);
    const certs = r.body['certificates'] as { productVersionId: string; systems: string[] }[];
    expect(certs.map((c) => c.productVersionId)).toContain(`${pvNe}@1.0`);
    expect(certs.map((c) => c.productVersionId)).not.toContain(`${pvLondon}@1.0`);
    expect(certs.find((c) => c.productVersionId === `${pvNe}@1.0`)?.systems).toEqual([neSystem.id]);
    for (const path of ['certificates', `scorecards?${q}`]) {
      expect((await get('london', `/admin/v1/regions/north-east/${path}`)).status).toBe(403);
      expect((await get('local', `/admin/v1/regions/north-east/${path}`)).status).toBe(403);
      expect((await get('national', `/admin/v1/regions/north-east/${path}`)).status).toBe(200);
    }
  });

  it("the region's violation-rate ceiling, judged on the system's card from the conformance service, refuses going live above it and permits it under", async () => {
    // an approver of north-east that may also read its systems' cards (the ceiling's source)
    const scopes = [READ, 'region/north-east/systems.write', 'region/north-east/scorecards.read'];
    const approver = await registerClient(gw, { scopes, odsCode: 'YRA01', region: 'north-east' });
    const token = await getToken(gw, approver, scopes.join(' '));
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${gw.baseUrl}/admin/v1/regions/north-east/${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    // the card reflects the test's traffic (3 accepted, 1 refused: a violation rate of 0.25)
    const deadline = Date.now() + 90_000;
    for (;;) {
      const r = await call('GET', `scorecards?${q}`);
      expect(r.status).toBe(200);
      const card = (r.body['scorecards'] as Card[] | undefined)?.find(
        (c) => c.systemId === neSystem.id,
      )?.card;
      if (card?.requests === 4) break;
      if (Date.now() > deadline) throw new Error(`not counted: ${JSON.stringify(r.body)}`);
      await new Promise((res) => setTimeout(res, 300));
    }
    const to = (state: string) =>
      call('POST', `systems/${neSystem.id}/lifecycle`, { to: state, reason: `to ${state}` });
    expect((await to('certified')).status).toBe(200);

    const declare = (maxViolationRate: number) =>
      call('POST', 'requirements', { maxViolationRate, reason: `ceiling ${maxViolationRate}` });
    expect((await declare(0.2)).status).toBe(200);
    const refused = await to('live');
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      error: {
        code: 'LIFECYCLE_REQUIREMENT_UNMET',
        details: [
          {
            rule: 'region.north-east.violation-rate',
            message: expect.stringContaining("the system's is 0.25") as unknown,
          },
        ],
      },
    });
    expect((await call('GET', `systems/${neSystem.id}/lifecycle`)).body['state']).toBe('certified');

    expect((await declare(0.3)).status).toBe(200);
    const approved = await to('live');
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      system: { id: neSystem.id, lifecycle: 'live' },
      transition: { from: 'certified', to: 'live', nationalOverride: false },
    });
  });
});
