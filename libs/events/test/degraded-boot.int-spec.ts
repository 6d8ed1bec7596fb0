// Proof: Kafka unreachable at boot degrades a service instead of failing its start. A service
// (bootstrapService, messaging started in onApplicationBootstrap like every app) boots against a
// broker address that drops every connection: it serves reads and writes, readiness answers 200
// "degraded" with the kafka detail and the outbox backlog, gRPC health stays SERVING; the writes
// wait in the outbox. Once the address forwards to the real broker, the relay and the inbox
// consumer connect on their own, the outbox drains and the events arrive, in order.
import {
  Body,
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Post,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  baseConfigSchema,
  bootstrapService,
  HealthRegistry,
  loadConfig,
  ShutdownHooks,
  type ServiceHandle,
} from '@trellis/service-kit';
import {
  freePort,
  grpcHealthCheck,
  GrpcServingStatus,
  SwitchableBrokerProxy,
  uniqueGroupId,
} from '@trellis/testing';

import { createOutbox, on, routeEvents, startServiceMessaging } from '../src';
import {
  createTestDatabase,
  createTestTopics,
  testBus,
  testEventType,
  testNhsNumbers,
  waitFor,
  type TestDatabase,
  type TestTx,
} from './support';

describe('degraded boot: Kafka unreachable at start', () => {
  let db: TestDatabase;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let proxy: SwitchableBrokerProxy;
  let handle: ServiceHandle | undefined;
  const received: Array<{ key: string; n: number; id: string }> = [];

  beforeAll(async () => {
    db = await createTestDatabase('events_dg');
    topics = await createTestTopics(testBus('events-degraded-setup'), 1);
    proxy = new SwitchableBrokerProxy();
  });

  afterAll(async () => {
    await handle?.shutdown('test end');
    await proxy?.close();
    await topics?.remove();
    await db?.drop();
  });

  it('boots and serves without Kafka, then connects and drains the outbox in order', async () => {
    const proxyPort = await proxy.listen();
    const Item = testEventType(topics.topic);
    const outbox = createOutbox({ source: '/trellis/events-test' });
    const prisma = db.prisma;
    const [key] = testNhsNumbers(1) as [string];

    const grpcPort = await freePort();
    const env: Record<string, string | undefined> = {
      ...process.env,
      SERVICE_NAME: 'events-degraded',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      DATABASE_SCHEMA: db.schema,
      DATABASE_URL: db.url,
      KAFKA_BROKERS: `127.0.0.1:${proxyPort}`,
      KAFKA_CLIENT_ID: 'events-degraded',
      LOG_LEVEL: 'error',
    };
    const messagingConfig = {
      ...loadConfig(baseConfigSchema, env),
      DATABASE_URL: db.url,
      DATABASE_SCHEMA: db.schema,
      OUTBOX_RELAY_ENABLED: true,
    };

    @Controller('items')
    class ItemsController {
      @Get('pending')
      async pending(): Promise<{ pending: number }> {
        const [row] = await prisma.$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM outbox_events WHERE sent_at IS NULL`;
        return { pending: row?.n ?? -1 };
      }

      @Post()
      async create(@Body() body: { n: number }): Promise<{ id: string }> {
        const occurrence = Item.occurrence(
          { nhsNumber: key, n: body.n, note: 'degraded', sentAtMs: Date.now() },
          { key },
        );
        const id = await prisma.$transaction((tx) => outbox.enqueue(tx, occurrence));
        return { id };
      }
    }

    @Injectable()
    class Messaging implements OnApplicationBootstrap {
      constructor(
        @Inject(ShutdownHooks) private readonly hooks: ShutdownHooks,
        @Inject(HealthRegistry) private readonly health: HealthRegistry,
      ) {}

      async onApplicationBootstrap(): Promise<void> {
        await startServiceMessaging<TestTx>({
          config: messagingConfig,
          hooks: this.hooks,
          health: this.health,
          retryBackoff: { initialMs: 200, maxMs: 1_000 },
          consumer: {
            name: 'degraded-consumer',
            groupId: uniqueGroupId('events-degraded'),
            topics: [topics.topic],
            prisma: db.client(),
            handle: routeEvents<TestTx>([
              on(Item, async (data, event) => {
                received.push({ key: data.nhsNumber, n: data.n, id: event.id });
              }),
            ]),
          },
        });
      }
    }

    @Module({ controllers: [ItemsController], providers: [Messaging] })
    class DegradedTestModule {}

    // Boot completes although every Kafka connection is dropped.
    handle = await bootstrapService({
      name: 'events-degraded',
      module: DegradedTestModule,
      handleSignals: false,
      grpc: { packages: [], protoFiles: [] },
      env,
    });
    expect(proxy.refused).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${handle.httpPort}`;

    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    const report = (await ready.json()) as {
      status: string;
      degraded?: string[];
      checks: Record<string, { ok: boolean; degraded?: boolean; error?: string }>;
    };
    expect(report.status).toBe('degraded');
    expect(report.degraded).toEqual(['kafka']);
    expect(report.checks.kafka).toMatchObject({ ok: false, degraded: true });
    expect(report.checks.kafka?.error).toMatch(/^unreachable .*outbox relay, degraded-consumer/);
    expect(await grpcHealthCheck(`127.0.0.1:${grpcPort}`)).toBe(GrpcServingStatus.SERVING);

    // Writes commit with their outbox rows; reads are served; the rows stay pending.
    for (const n of [1, 2, 3]) {
      const res = await fetch(`${base}/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n }),
      });
      expect(res.status).toBe(201);
    }
    const pending = await fetch(`${base}/items/pending`);
    expect(pending.status).toBe(200);
    expect(await pending.json()).toEqual({ pending: 3 });
    handle.health.cacheMs = 0;
    const backlog = (await handle.health.report()).checks.find((c) => c.name === 'kafka');
    expect(backlog?.error).toMatch(/outbox backlog 3 event\(s\)/);
    expect(received).toEqual([]);

    // Kafka becomes reachable: the relay and the consumer connect by themselves and drain.
    proxy.open();
    await waitFor(
      'outbox drained',
      async () =>
        ((await (await fetch(`${base}/items/pending`)).json()) as { pending: number }).pending ===
        0,
      60_000,
      200,
    );
    await waitFor('events consumed', () => Promise.resolve(received.length >= 3), 60_000, 200);
    expect(received.map((r) => r.n)).toEqual([1, 2, 3]);
    expect(received.every((r) => r.key === key)).toBe(true);
    await waitFor(
      'readiness ok',
      async () => (await handle!.health.report()).degraded.length === 0,
      60_000,
      200,
    );
    const after = await fetch(`${base}/health/ready`);
    expect(after.status).toBe(200);
    expect(((await after.json()) as { status: string }).status).toBe('ok');
  });
});
