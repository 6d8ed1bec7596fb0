// The conformance service as `npm start` runs it (a real process, real PostgreSQL and Kafka): a
// scripted good and bad supplier's events are counted, request for request, as the test counted
// them — after a SIGKILL mid-stream and a restart, and after a replay into an empty schema.
import { testCaller } from '@trellis/auth/testing';
import { createPrismaClient } from '@trellis/database';
import {
  createEventBus,
  dlqTopicName,
  kafkaConfigFromEnv,
  TOPICS,
  type EventBus,
  type EventPublisher,
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

import { PrismaClient } from '../src/app/prisma';
import { ScorecardsRepository } from '../src/app/scorecards/scorecards.repository';
import { ScorecardsService, type ScorecardView } from '../src/app/scorecards/scorecards.service';
import {
  BAD_1,
  BAD_2,
  GOOD,
  retriesBeforeRetryAfter,
  script,
  TrafficScript,
  type Tally,
} from './support/traffic';

jest.setTimeout(240_000);

const OPERATOR = testCaller({
  systemId: 'operator-console',
  odsCode: 'X26',
  region: 'london',
  scopes: ['trellis/admin', 'system/MeasureReport.rs'],
});

async function startConformance(
  schema: string,
  topics: { access: string; violation: string },
  group: string,
): Promise<ServiceProcess> {
  const port = await freePort();
  return spawnService({
    name: 'conformance',
    env: serviceEnv({
      SERVICE_NAME: 'conformance',
      DATABASE_SCHEMA: schema,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      AUTH_ISSUER: 'http://127.0.0.1:9/unused',
      AUTH_JWKS_URL: 'http://127.0.0.1:9/unused/jwks.json',
      CONFORMANCE_ACCESS_TOPIC: topics.access,
      CONFORMANCE_VIOLATION_TOPIC: topics.violation,
      CONFORMANCE_GROUP: group,
      CONFORMANCE_BATCH_SIZE: '200',
      LOG_LEVEL: 'warn',
    }),
    ready: { grpc: `127.0.0.1:${port}` },
    onUnexpectedExit: () => undefined, // the SIGKILL below is on purpose
  });
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What the scorecard must say, from the test's own tally. */
function expected(t: Tally, previous: Tally): Record<string, unknown> {
  const rate = (x: Tally) =>
    x.accepted + x.refused === 0
      ? 1
      : Math.round((x.accepted / (x.accepted + x.refused)) * 1e6) / 1e6;
  return {
    current: {
      requests: t.requests,
      accepted: t.accepted,
      refused: t.refused,
      errors: t.errors,
      violations: t.violations,
      conformanceRate: rate(t),
    },
    previous: expect.objectContaining({ requests: previous.requests, accepted: previous.accepted }),
    rules: Object.fromEntries(Object.entries(t.rules).sort()),
    statuses: Object.fromEntries(Object.entries(t.statuses).sort()),
    behaviours: {
      'call-after-suspension': t.behaviours['call-after-suspension'] ?? 0,
      'duplicate-create': t.behaviours['duplicate-create'] ?? 0,
      'rate-limited': t.behaviours['rate-limited'] ?? 0,
      'retry-before-retry-after': retriesBeforeRetryAfter(t),
      'update-without-if-match': t.behaviours['update-without-if-match'] ?? 0,
      'write-while-restricted': 0,
    },
  };
}

function observed(card: ScorecardView): Record<string, unknown> {
  return {
    current: card.current,
    previous: card.previous,
    rules: Object.fromEntries(
      card.topFailingRules
        .map((r) => [r.rule, { requests: r.requests, issues: r.issues }] as const)
        .sort(([a], [b]) => a.localeCompare(b)),
    ),
    statuses: Object.fromEntries(
      card.refusalsByStatus
        .map((s) => [s.status, s.count] as const)
        .sort(([a], [b]) => a.localeCompare(b)),
    ),
    behaviours: Object.fromEntries(
      card.behaviours
        .map((b) => [b.behaviour, b.count] as const)
        .sort(([a], [b]) => a.localeCompare(b)),
    ),
  };
}

describe('conformance counters: exactly once, through a crash and a replay (real processes)', () => {
  const topics = {
    access: uniqueTopic('trellis.test.conf-access'),
    violation: uniqueTopic('trellis.test.conf-violation'),
  };
  let bus: EventBus;
  let publisher: EventPublisher;
  const schemas: TestSchema[] = [];
  const clients: PrismaClient[] = [];
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    bus = createEventBus(kafkaConfigFromEnv(process.env, 'conformance-test'));
    const admin = bus.admin();
    await admin.connect();
    const spec = { ...TOPICS.gatewayConformance, retentionMs: 3_600_000 };
    await admin.createTopics([
      { ...spec, name: topics.access, partitions: 6 },
      { ...spec, name: topics.violation, partitions: 3 },
      { ...spec, name: dlqTopicName(topics.access), partitions: 1 },
      { ...spec, name: dlqTopicName(topics.violation), partitions: 1 },
    ]);
    await admin.disconnect();
    publisher = bus.publisher();
    await publisher.connect();
  });

  afterAll(async () => {
    for (const p of processes) if (p.running) await p.stop().catch(() => undefined);
    await publisher?.disconnect();
    for (const c of clients) await c.$disconnect();
    for (const s of schemas) await s.drop();
  });

  async function schema(): Promise<{ prisma: PrismaClient; name: string }> {
    const s = await createTestSchema('conformance');
    schemas.push(s);
    const prisma = createPrismaClient(PrismaClient, { url: s.url, schema: s.schema });
    clients.push(prisma);
    return { prisma, name: s.schema };
  }

  const counted = async (prisma: PrismaClient): Promise<number> =>
    Number(
      (
        await prisma.$queryRaw<Array<{ n: bigint | null }>>`
          SELECT sum(count)::bigint AS n FROM traffic_counters WHERE metric IN ('request', 'violation')`
      )[0]?.n ?? 0,
    );

  it('scorecards match the test’s own counts per system and per product version', async () => {
    const hour = 3_600_000;
    const periodStart = new Date(Math.floor(Date.now() / hour) * hour - 2 * hour);
    const s = new TrafficScript(topics.access, topics.violation);
    script(s, new Date(periodStart.getTime() - hour), 60, 'previous');
    script(s, periodStart, 300, 'current');
    const expectedTotal = (['current', 'previous'] as const).reduce(
      (n, p) =>
        n +
        [GOOD, BAD_1, BAD_2].reduce((m, sys) => {
          const t = s.tally('system', sys.systemId, p);
          return m + t.requests + t.violations;
        }, 0),
      0,
    );
    const all = [...s.access, ...s.violations];
    const half = Math.floor(all.length / 2);
    for (let i = 0; i < half; i += 500)
      await publisher.publish(all.slice(i, Math.min(i + 500, half)));

    const first = await schema();
    const group = uniqueGroupId('conformance-crash');
    const victim = await startConformance(first.name, topics, group);
    processes.push(victim);
    await until('counting under way', async () => (await counted(first.prisma)) > 0);
    process.kill(victim.pid, 'SIGKILL');
    await victim.exited;
    for (let i = half; i < all.length; i += 500) await publisher.publish(all.slice(i, i + 500));

    const restarted = await startConformance(first.name, topics, group);
    processes.push(restarted);
    await until(
      'all counted after the restart',
      async () => (await counted(first.prisma)) >= expectedTotal,
    );
    await restarted.stop();
    expect(await counted(first.prisma)).toBe(expectedTotal);

    const second = await schema();
    const replayer = await startConformance(
      second.name,
      topics,
      uniqueGroupId('conformance-replay'),
    );
    processes.push(replayer);
    await until(
      'all counted by the replay',
      async () => (await counted(second.prisma)) >= expectedTotal,
    );
    await replayer.stop();
    expect(await counted(second.prisma)).toBe(expectedTotal);

    const period = { periodStart, periodEnd: new Date(periodStart.getTime() + hour), topRules: 50 };
    for (const { prisma } of [first, second]) {
      const cards = new ScorecardsService(new ScorecardsRepository(prisma));
      for (const [kind, id] of [
        ['system', GOOD.systemId],
        ['system', BAD_1.systemId],
        ['system', BAD_2.systemId],
        ['product-version', GOOD.productVersionId],
        ['product-version', BAD_1.productVersionId],
      ] as const) {
        const card = await cards.scorecard({ subject: { kind, id }, ...period }, OPERATOR);
        expect([kind, id, observed(card)]).toEqual([
          kind,
          id,
          expected(s.tally(kind, id, 'current'), s.tally(kind, id, 'previous')),
        ]);
      }
      const bad = await cards.scorecard(
        { subject: { kind: 'product-version', id: BAD_1.productVersionId }, ...period },
        OPERATOR,
      );
      expect(bad.systems).toEqual([BAD_1.systemId, BAD_2.systemId]);
      expect(bad.topFailingRules[0]!.examplePath).not.toMatch(/\d{4,}/);
      const good = await cards.scorecard(
        { subject: { kind: 'product-version', id: GOOD.productVersionId }, ...period },
        OPERATOR,
      );
      expect(good.current.conformanceRate).toBeGreaterThan(bad.current.conformanceRate);
    }
    // the replay gives the same counters, row for row
    const rows = (prisma: PrismaClient) => prisma.$queryRaw<Record<string, unknown>[]>`
      SELECT system_id, bucket_start, product_version_id, metric, key, status, door, count, issues,
             example, last_event_at
        FROM traffic_counters ORDER BY 1, 2, 3, 4, 5, 6, 7`;
    expect(await rows(second.prisma)).toEqual(await rows(first.prisma));
  });
});
