/**
 * Conformance service benchmark (not a timed test), on this machine against the real PostgreSQL
 * and Kafka from .trellis/infra.env, with the service as `npm start` runs it (a real process):
 *   1. ingest throughput: N access/violation events pre-loaded into fresh topics (200 systems,
 *      10 product versions, 15 % refused, a violation per refused create), then the service
 *      started on an empty schema; events/s = N / time from the first counted event to the last
 *      (group join excluded; the figure with it is printed too);
 *   2. refusal → scorecard delay: events published at a steady rate (each batch's publish time
 *      noted), counters polled every 20 ms; delay = when the batch's count is visible in the
 *      counters the scorecard reads − its publish time; p50/p99 over events.
 * Goals: ≥ 10,000 events/s; p99 ≤ 5 s.
 *
 *   node -r @swc-node/register tools/bench/conformance/ingest.bench.ts [--events 100000]
 *        [--rate 1000] [--seconds 15] [--batch 1000] [--concurrency 3] [--json]
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

import { events, toTimestamp } from '@trellis/contracts';
import { createPrismaClient } from '@trellis/database';
import {
  createEventBus,
  dlqTopicName,
  kafkaConfigFromEnv,
  toCloudEventHeaders,
  TOPICS,
  type EventPublisher,
  type OutgoingMessage,
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

import { PrismaClient } from '@trellis/conformance/src/public';

const GOAL_RATE = 10_000;
const GOAL_P99_MS = 5_000;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

let seq = 0;
function event(accessTopic: string, violationTopic: string, at: Date): OutgoingMessage[] {
  const i = seq++;
  const system = `bench-sys-${i % 200}`;
  const pv = `bench-product-${i % 10}@1.0`;
  const refused = i % 7 === 0;
  const record = events.v1.AccessRecorded.fromPartial({
    auditId: randomUUID(),
    recordedAt: toTimestamp(at),
    action: i % 3 === 0 ? 'C' : 'R',
    outcome: refused ? '4' : '0',
    outcomeDescription: refused ? (i % 3 === 0 ? 'http 422' : 'http 404') : '',
    interaction:
      i % 2 === 0 ? 'GET /fhir/Patient/:id' : '/trellis.identity.v1.PatientService/GetPatient',
    systemId: system,
    sourceService: 'gateway',
    resourceType: 'Patient',
    patientNhsNumber: String(9990000000 + (i % 5000)),
    productVersionId: pv,
  });
  const out: OutgoingMessage[] = [
    {
      topic: accessTopic,
      key: record.patientNhsNumber,
      value: events.v1.AccessRecorded.encode(record).finish(),
      headers: toCloudEventHeaders({
        id: record.auditId,
        source: '/trellis/gateway',
        type: 'uk.nhs.trellis.audit.AccessRecorded.v1',
        time: at.toISOString(),
        subject: record.patientNhsNumber,
      }),
    },
  ];
  if (refused && i % 3 === 0) {
    const v = events.v1.ConformanceViolation.fromPartial({
      systemId: system,
      rule: ['nhs-number.check-digit', 'fhir.structure', 'postcode.format'][
        i % 3 === 0 ? (i / 3) % 3 : 0
      ],
      resourceType: 'Patient',
      interaction: 'create',
      expressions: ['Patient.identifier[0].value'],
      count: 1,
      httpStatus: 422,
      occurredAt: toTimestamp(at),
      productVersionId: pv,
    });
    out.push({
      topic: violationTopic,
      key: system,
      value: events.v1.ConformanceViolation.encode(v).finish(),
      headers: toCloudEventHeaders({
        id: randomUUID(),
        source: '/trellis/gateway',
        type: 'uk.nhs.trellis.gateway.ConformanceViolation.v1',
        time: at.toISOString(),
        subject: system,
      }),
    });
  }
  return out;
}

async function main(): Promise<void> {
  Object.assign(process.env, { ...loadInfraEnv(), ...process.env });
  const total = arg('events', 100_000);
  const rate = arg('rate', 1000);
  const seconds = arg('seconds', 15);
  const batch = arg('batch', 1000);
  const concurrency = arg('concurrency', 3);
  const json = process.argv.includes('--json');
  const access = uniqueTopic('trellis.bench.conf-access');
  const violation = uniqueTopic('trellis.bench.conf-violation');
  const bus = createEventBus(kafkaConfigFromEnv(process.env, 'conformance-bench'));
  const admin = bus.admin();
  await admin.connect();
  const spec = { ...TOPICS.auditAccess, retentionMs: 3_600_000 };
  await admin.createTopics([
    { ...spec, name: access, partitions: 12 },
    { ...spec, name: violation, partitions: 3 },
    { ...spec, name: dlqTopicName(access), partitions: 1 },
    { ...spec, name: dlqTopicName(violation), partitions: 1 },
  ]);
  const publisher: EventPublisher = bus.publisher();
  await publisher.connect();
  const schema = await createTestSchema('conformance');
  const prisma = createPrismaClient(PrismaClient, { url: schema.url, schema: schema.schema });
  const counted = async (): Promise<number> =>
    Number(
      (
        await prisma.$queryRaw<Array<{ n: bigint | null }>>`
          SELECT sum(count)::bigint AS n FROM traffic_counters WHERE metric IN ('request', 'violation')`
      )[0]?.n ?? 0,
    );
  try {
    // 1. preload
    const base = Date.now() - 3_600_000;
    let loaded = 0;
    const t0 = Date.now();
    while (loaded < total) {
      const msgs: OutgoingMessage[] = [];
      for (let k = 0; k < 5000 && loaded < total; k++, loaded++)
        msgs.push(...event(access, violation, new Date(base + loaded * 10)));
      await publisher.publish(msgs);
    }
    const published = eventsOf(seq);
    process.stderr.write(`preloaded ${published} events (${seq} calls) in ${Date.now() - t0} ms\n`);

    const port = await freePort();
    const started = Date.now();
    const service = await spawnService({
      name: 'conformance',
      env: serviceEnv({
        SERVICE_NAME: 'conformance',
        DATABASE_SCHEMA: schema.schema,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(port),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        AUTH_ISSUER: 'http://127.0.0.1:9/unused',
        AUTH_JWKS_URL: 'http://127.0.0.1:9/unused/jwks.json',
        CONFORMANCE_ACCESS_TOPIC: access,
        CONFORMANCE_VIOLATION_TOPIC: violation,
        CONFORMANCE_GROUP: uniqueGroupId('conformance-bench'),
        CONFORMANCE_BATCH_SIZE: String(batch),
        CONFORMANCE_CONCURRENCY: String(concurrency),
        LOG_LEVEL: 'warn',
      }),
      ready: { grpc: `127.0.0.1:${port}` },
    });
    let first = 0;
    let cpuAtFirst = 0;
    for (;;) {
      const n = await counted();
      if (n > 0 && first === 0) {
        first = Date.now();
        cpuAtFirst = cpuSeconds(service.pid);
      }
      if (n >= published) break;
      await sleep(50);
    }
    const done = Date.now();
    const cpu = cpuSeconds(service.pid) - cpuAtFirst;
    const steady = published / ((done - first) / 1000);
    const withJoin = published / ((done - started) / 1000);

    // 2. delay at a steady rate
    const batches: Array<{ at: number; cumulative: number }> = [];
    let cumulative = published;
    const delays: number[] = [];
    const tickMs = 50;
    const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
    const end = Date.now() + seconds * 1000;
    let pending = 0;
    const poller = (async () => {
      while (Date.now() < end + 30_000 && (Date.now() < end || pending < batches.length)) {
        const n = await counted();
        const now = Date.now();
        while (pending < batches.length && batches[pending]!.cumulative <= n) {
          const b = batches[pending]!;
          const size =
            b.cumulative - (pending === 0 ? published : batches[pending - 1]!.cumulative);
          for (let k = 0; k < size; k++) delays.push(now - b.at);
          pending++;
        }
        await sleep(20);
      }
    })();
    while (Date.now() < end) {
      const msgs: OutgoingMessage[] = [];
      for (let k = 0; k < perTick; k++) msgs.push(...event(access, violation, new Date()));
      const at = Date.now();
      await publisher.publish(msgs);
      cumulative += msgs.length;
      batches.push({ at, cumulative });
      await sleep(Math.max(0, tickMs - (Date.now() - at)));
    }
    await poller;
    await service.stop();
    delays.sort((a, b) => a - b);
    const pct = (p: number) =>
      delays[Math.min(delays.length - 1, Math.floor(p * delays.length))] ?? NaN;
    const result = {
      events: published,
      ingestEventsPerSecond: Math.round(steady),
      ingestWithGroupJoinEventsPerSecond: Math.round(withJoin),
      ingestRatioToGoal: Math.round((steady / GOAL_RATE) * 100) / 100,
      /** events per CPU-second of the service process (PostgreSQL's share not included) */
      ingestEventsPerServiceCpuSecond: Math.round(published / Math.max(cpu, 0.001)),
      loadAverage: loadavg()[0] ?? 0,
      delayEvents: delays.length,
      delayP50Ms: pct(0.5),
      delayP99Ms: pct(0.99),
      delayRatioToGoal: Math.round((GOAL_P99_MS / pct(0.99)) * 100) / 100,
      rate,
      batch,
      concurrency,
    };
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else
      process.stdout.write(
        `conformance ingest: ${result.ingestEventsPerSecond} events/s (${result.ingestRatioToGoal}× the 10,000/s goal; ${result.ingestWithGroupJoinEventsPerSecond}/s with start-up; ${result.ingestEventsPerServiceCpuSecond} events per service CPU-second; load ${result.loadAverage.toFixed(1)}), ` +
          `refusal→scorecard delay p50 ${result.delayP50Ms} ms, p99 ${result.delayP99Ms} ms at ${rate} calls/s (goal p99 ≤ 5 s)\n`,
      );
  } finally {
    await publisher.disconnect();
    await admin
      .deleteTopics([access, violation, dlqTopicName(access), dlqTopicName(violation)])
      .catch(() => undefined);
    await admin.disconnect();
    await prisma.$disconnect();
    await schema.drop();
  }
}

/** Access events + violations published for `calls` calls (a violation per refused create). */
function eventsOf(calls: number): number {
  let n = 0;
  for (let i = 0; i < calls; i++) n += i % 7 === 0 && i % 3 === 0 ? 2 : 1;
  return n;
}

/** user + system CPU seconds of a process so far (Linux /proc; clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
