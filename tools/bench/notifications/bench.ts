/**
 * Notification delivery benchmark (not a timed test), on this machine, against the real
 * PostgreSQL and Kafka of .trellis/infra.env.
 *
 *   node -r @swc-node/register tools/bench/notifications/bench.ts [--subscribers 100]
 *        [--events 100] [--rate 10] [--wait-s 300] [--keep] [--no-wake]
 *
 * The notifications service runs as its own process (as `npm start` runs it) on a fresh schema,
 * consuming a fresh 12-partition results topic. --subscribers subscriptions (each of another
 * organisation named by every event, so each event reaches all of them) point at one local HTTP
 * server. --events ResultAvailable events are published at --rate events/s, each stamped with
 * its publish time (EventContext.occurred_at, which the notification carries as the event's
 * timestamp). Latency = receipt − publish, per delivery (so it counts the producer, Kafka, the
 * inbox transaction, the worker's poll and the POST). Throughput = deliveries / (last receipt −
 * first publish); a repeated (subscriber, event number) counts as a duplicate, not a delivery.
 * Prints one JSON report; the schema and topic stay with --keep. --no-wake runs
 * the service with NOTIFICATIONS_WAKE_ON_RECORD=false (the worker only polls, every 200 ms): the
 * A/B switch for the LISTEN/NOTIFY wake-up. serviceCpuMsPerDelivery = the service process's CPU
 * time (user + system, from /proc) from the first publish to the last receipt, per delivery: the
 * code's cost, which the machine's load does not change as it changes latency.
 * BENCH_NOTIFICATIONS_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") adds node flags to
 * the service process (tools/bench/profile-summary.ts reads the profile).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg } from 'node:os';

import { events, toTimestamp } from '@trellis/contracts';
import { createPrismaClient } from '@trellis/database';
import {
  createEventBus,
  dlqTopicName,
  kafkaConfigFromEnv,
  toCloudEventHeaders,
  TOPICS,
} from '@trellis/events';
import {
  createTestSchema,
  freePort,
  loadInfraEnv,
  serviceEnv,
  spawnService,
  uniqueGroupId,
  uniqueTopic,
} from '@trellis/testing';

// eslint-disable-next-line @nx/enforce-module-boundaries -- a benchmark drives the app in-process through its public entry point (type:bench)
import { PrismaClient } from '@trellis/notifications/src/public';

const GOAL_P99_MS = 1000;
const TOPIC_URL = 'https://fhir.trellis.nhs.uk/SubscriptionTopic/result-available';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const keep = process.argv.includes('--keep');
const wake = !process.argv.includes('--no-wake');

/** CPU time (user + system, ms) a process has used so far (Linux /proc; clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields =
    readFileSync(`/proc/${String(pid)}/stat`, 'utf8')
      .split(') ')[1]
      ?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  const subscribers = arg('subscribers', 100);
  const total = arg('events', 100);
  const rate = arg('rate', 10);
  const ods = (i: number) => `B${String(80000 + i)}`;

  const topic = uniqueTopic('trellis.bench.notifications');
  // the bench's own system registry feed: the worker judges each subscriber's standing per event
  const systemTopic = uniqueTopic('trellis.bench.system');
  const bus = createEventBus(
    kafkaConfigFromEnv({ ...loadInfraEnv(), ...process.env }, 'notifications-bench'),
  );
  const admin = bus.admin();
  await admin.connect();
  await admin.createTopics([
    { ...TOPICS.resultsReport, name: topic, partitions: 12, retentionMs: 3_600_000 },
    { ...TOPICS.resultsReport, name: dlqTopicName(topic), partitions: 1, retentionMs: 3_600_000 },
    { ...TOPICS.gatewaySystem, name: systemTopic, partitions: 1 },
  ]);

  // receipts: one server, one path per subscriber
  // a repeated (subscriber, event number) is counted, not taken as a delivery: the count of
  // deliveries must mean "each notification once"
  const latencies: number[] = [];
  const received = new Set<string>();
  let duplicates = 0;
  let lastReceipt = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const now = Date.now();
      const m = /"name":"timestamp","valueInstant":"([^"]+)"/.exec(body);
      const n = /"name":"event-number","valueString":"([^"]+)"/.exec(body);
      const receipt = `${req.url ?? ''} ${n?.[1] ?? ''}`;
      if (m?.[1] && n?.[1] && received.has(receipt)) duplicates += 1;
      else if (m?.[1] && n?.[1]) {
        received.add(receipt);
        latencies.push(now - Date.parse(m[1]));
        lastReceipt = now;
      }
      res.writeHead(204).end();
    });
  });
  const hookPort = await freePort();
  await new Promise<void>((r) => server.listen(hookPort, '127.0.0.1', r));

  const schema = await createTestSchema('notifications');
  const prisma = createPrismaClient(PrismaClient, { url: schema.url, schema: schema.schema });
  for (let i = 0; i < subscribers; i++)
    await prisma.subscription.create({
      data: {
        id: randomUUID(),
        ownerSystemId: `bench-${String(i)}`,
        ownerOdsCode: ods(i),
        topic: TOPIC_URL,
        endpoint: `http://127.0.0.1:${String(hookPort)}/s/${String(i)}`,
        payloadContent: 'id-only',
        status: 'active',
      },
    });

  const publisher = bus.publisher();
  await publisher.connect();
  await publisher.publish(
    Array.from({ length: subscribers }, (_, i) => ({
      topic: systemTopic,
      key: `bench-${String(i)}`,
      value: events.v1.ConnectedSystemChanged.encode(
        events.v1.ConnectedSystemChanged.fromPartial({
          systemId: `bench-${String(i)}`,
          odsCode: ods(i),
          status: events.v1.ConnectedSystemState.CONNECTED_SYSTEM_STATE_ACTIVE,
          allowedScopes: ['system/DiagnosticReport.rs', 'system/Subscription.cruds'],
          version: 1,
        }),
      ).finish(),
      headers: {},
    })),
  );

  const grpcPort = await freePort();
  const extraNodeArgs = (process.env['BENCH_NOTIFICATIONS_NODE_ARGS'] ?? '')
    .split(' ')
    .filter(Boolean);
  const child = await spawnService({
    name: 'notifications',
    nodeArgs: ['--enable-source-maps', '-r', '@swc-node/register', ...extraNodeArgs],
    env: serviceEnv({
      SERVICE_NAME: 'notifications',
      DATABASE_SCHEMA: schema.schema,
      DATABASE_POOL_SIZE: '20',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      AUTH_ISSUER: 'http://127.0.0.1:9',
      AUTH_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
      NOTIFICATIONS_TOPICS: topic,
      NOTIFICATIONS_SYSTEM_TOPIC: systemTopic,
      NOTIFICATIONS_GROUP: uniqueGroupId('trellis.notifications.bench'),
      // a fresh topic: read it whole (events published before the group's assignment count too)
      NOTIFICATIONS_FROM_BEGINNING: 'true',
      NOTIFICATIONS_ALLOW_HTTP_ENDPOINTS: 'true',
      NOTIFICATIONS_CONCURRENCY: String(Math.min(500, subscribers)),
      OUTBOX_RELAY_ENABLED: 'false',
      NOTIFICATIONS_WAKE_ON_RECORD: String(wake),
    }),
    ready: { grpc: `127.0.0.1:${String(grpcPort)}` },
    readyTimeoutMs: 120_000,
  });

  const organisations = Array.from({ length: subscribers }, (_, i) => ({
    odsCode: ods(i),
    region: 'north-east',
  }));
  const cpuAtStart = cpuMsOf(child.pid);
  const firstPublish = Date.now();
  for (let n = 0; n < total; n++) {
    const due = firstPublish + (n * 1000) / rate;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const at = new Date();
    const nhs = `999${String(1_000_000 + n).slice(1)}`;
    const msg = events.v1.ResultAvailable.fromPartial({
      context: { organisations, regions: ['north-east'], occurredAt: toTimestamp(at) },
      report: { reportId: randomUUID(), nhsNumber: nhs, status: 'final', version: 1 },
    });
    await publisher.publish([
      {
        topic,
        key: nhs,
        value: events.v1.ResultAvailable.encode(msg).finish(),
        headers: toCloudEventHeaders({
          id: randomUUID(),
          source: '/trellis/bench',
          type: 'uk.nhs.trellis.results.ResultAvailable.v1',
          time: at.toISOString(),
          subject: nhs,
          dataschema: 'proto:trellis.events.v1.ResultAvailable',
        }),
      },
    ]);
  }
  const expected = total * subscribers;
  const deadline = Date.now() + arg('wait-s', 300) * 1000;
  while (latencies.length < expected && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200));

  const serviceCpuMs = cpuMsOf(child.pid) - cpuAtStart;
  const sorted = [...latencies].sort((a, b) => a - b);
  const report = {
    machine: { cpus: cpus().length, loadavg: loadavg().map((l) => Number(l.toFixed(2))) },
    subscribers,
    events: total,
    publishRatePerSecond: rate,
    wakeOnRecord: wake,
    deliveries: latencies.length,
    expected,
    duplicates,
    latencyMs: {
      p50: quantile(sorted, 0.5),
      p95: quantile(sorted, 0.95),
      p99: quantile(sorted, 0.99),
      max: sorted[sorted.length - 1],
    },
    deliveriesPerSecond: Number(
      (latencies.length / ((lastReceipt - firstPublish) / 1000)).toFixed(1),
    ),
    // the service's own CPU (recording + delivering) per delivery: what the code costs, whatever
    // else loads the shared machine
    serviceCpuMs,
    serviceCpuMsPerDelivery: Number((serviceCpuMs / Math.max(1, latencies.length)).toFixed(3)),
    goalP99Ms: GOAL_P99_MS,
    p99Ratio: Number((quantile(sorted, 0.99) / GOAL_P99_MS).toFixed(2)),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);

  await publisher.disconnect();
  await child.stop();
  await prisma.$disconnect();
  server.close();
  if (!keep) {
    await schema.drop();
    await admin.deleteTopics([topic, dlqTopicName(topic), systemTopic]).catch(() => undefined);
  }
  await admin.disconnect();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
