/**
 * Outbox relay benchmark (not a timed test). Measures on this machine, against the real
 * PostgreSQL and Kafka from .trellis/infra.env:
 *   1. relay throughput: N events pre-loaded into an outbox (by a separate load process), then
 *      one relay process publishes them; events/s = N / time until the outbox is empty;
 *   2. commit→consume latency: a separate load process commits events at a steady rate
 *      (each payload carries the time it was written, just before COMMIT), a relay process
 *      publishes them, and an inbox consumer (this process) records now − written time once the
 *      transaction that handled the event committed (a rolled-back try counts nothing); p50/p99
 *      per run (the first second of each run is warm-up, not counted), and the failed attempts.
 * Each figure is the median over runs, with its ratio to the goal (issue 23: ≥ 30,000 events/s;
 * p99 ≤ 100 ms at 1,000 events/s, ≤ 250 ms at 10,000 events/s). Every run prints the machine's
 * load average (1 min) before and after it, and the CPU time the relay and the consumer process
 * spent per event, and in throughput runs the CPU of the relay's PostgreSQL backend and of a local
 * Kafka broker (less load-dependent than rates on a shared machine, where the load decides).
 *
 *   node -r @swc-node/register tools/bench/events/relay.bench.ts [--runs 3] [--events 50000]
 *        [--batch 2000] [--rates 1000,10000 | --rate N] [--seconds 10] [--writers 8] [--only throughput|latency]
 *
 * The load process commits `rate` events/s from `--writers` connections, one INSERT statement per
 * transaction holding ceil(rate / 1000) events (one event per transaction up to 1,000/s).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { applyMigrations, createPrismaClient, quoteIdent } from '@trellis/database';
import {
  createInboxConsumer,
  createEventBus,
  createOutbox,
  createOutboxRelay,
  defineEventType,
  kafkaConfigFromEnv,
  type EventBus,
  type MessageCodec,
  type OutboxEventInput,
} from '@trellis/events';
import { PrismaClient } from '@trellis/events/test/generated/prisma/client';

const ROOT = resolve(__dirname, '..', '..', '..');
const MIGRATIONS = join(ROOT, 'libs', 'events', 'test', 'prisma', 'migrations');
const GOAL_THROUGHPUT = 30_000;
/** p99 goal (ms) of commit→consume by load (events/s); rates in between take the next higher. */
const GOAL_P99_MS: ReadonlyArray<[number, number]> = [
  [1_000, 100],
  [10_000, 250],
];
const goalP99For = (rate: number): number =>
  (GOAL_P99_MS.find(([r]) => rate <= r) ?? GOAL_P99_MS[GOAL_P99_MS.length - 1]!)[1];
/** CPU time (user + system, ms) this process used since `start`. */
const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};
/** CPU time (ms) of another process (utime + stime, 10 ms clock ticks); undefined once it exited. */
function procCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}
/** The Kafka broker's pid when it runs on this machine (its CPU includes other clients' work). */
function kafkaBrokerPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('kafka.Kafka')) return +entry;
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}
/**
 * Samples the CPU time of the relay's PostgreSQL backend (found by its application_name) and of
 * the broker while `work` runs; the backend's last sample before it exits counts.
 */
async function cpuOfRelayPath<T>(
  pg: Client,
  schema: string,
  started: Promise<void>,
  work: Promise<T>,
): Promise<{ result: T; backendMs: number; brokerMs: number }> {
  const broker = kafkaBrokerPid();
  await started;
  const brokerStart = broker === undefined ? undefined : procCpuMs(broker);
  // The relay connects after start() returned: look for its backend until it shows up.
  let backend: number | undefined;
  let backendStart: number | undefined;
  let backendLast: number | undefined;
  let looking = false;
  const sample = async (): Promise<void> => {
    if (backend === undefined) {
      if (looking) return;
      looking = true;
      const { rows } = await pg
        .query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
          `trellis-outbox-relay:${schema}`,
        ])
        .finally(() => (looking = false));
      backend = rows[0]?.pid;
      backendStart = backend === undefined ? undefined : procCpuMs(backend);
    }
    const now = backend === undefined ? undefined : procCpuMs(backend);
    if (now !== undefined) backendLast = now;
  };
  const timer = setInterval(() => void sample().catch(() => undefined), 20);
  try {
    const result = await work;
    const brokerEnd = broker === undefined ? undefined : procCpuMs(broker);
    return {
      result,
      backendMs: (backendLast ?? 0) - (backendStart ?? 0),
      brokerMs: (brokerEnd ?? 0) - (brokerStart ?? 0),
    };
  } finally {
    clearInterval(timer);
  }
}
const loadAverage = (): number => Number(loadavg()[0]!.toFixed(2));
const PARTITIONS = 12;
const KEYS = 1000;

function loadInfraEnv(): void {
  const file = join(process.env.TRELLIS_HOME ?? join(ROOT, '.trellis'), 'infra.env');
  if (!existsSync(file)) return;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m && process.env[m[1]!] === undefined)
      process.env[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
function strArg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (!v) throw new Error(`--${name} is required`);
  return v;
}

// Payload: a JSON-free fixed-layout message: written-at (float64) + NHS number + filler, ~220 bytes
// like a typical event payload.
interface BenchEvent {
  writtenAtMs: number;
  nhsNumber: string;
  filler: string;
}
const codec: MessageCodec<BenchEvent> = {
  encode: (m) => ({
    finish: () => {
      const body = Buffer.from(`${m.nhsNumber}|${m.filler}`, 'utf8');
      const out = Buffer.alloc(8 + body.length);
      out.writeDoubleBE(m.writtenAtMs, 0);
      body.copy(out, 8);
      return out;
    },
  }),
  decode: (bytes) => {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const [nhsNumber = '', filler = ''] = b.subarray(8).toString('utf8').split('|');
    return { writtenAtMs: b.readDoubleBE(0), nhsNumber, filler };
  },
};
const FILLER = 'x'.repeat(200);
const eventType = (topic: string) =>
  defineEventType({
    type: 'uk.nhs.trellis.bench.Happened.v1',
    topic,
    codec,
    dataschema: 'proto:bench',
  });
const nhs = (i: number) => `999${String(i % KEYS).padStart(7, '0')}`;

function prismaFor(schema: string) {
  return createPrismaClient(PrismaClient, { url: process.env.DATABASE_URL!, schema, poolSize: 4 });
}
/** The platform's bus (docs/events.md: the kafkajs comparison was run at c0ad8ed). */
function bus(clientId: string): EventBus {
  return createEventBus(kafkaConfigFromEnv(process.env, clientId));
}

// ---- child roles -------------------------------------------------------------------------------

/** Pre-load N events (1000 per transaction). */
async function roleLoadBulk(): Promise<void> {
  const schema = strArg('schema');
  const topic = strArg('topic');
  const total = arg('events', 50_000);
  const prisma = prismaFor(schema);
  const outbox = createOutbox({ source: '/trellis/bench' });
  const type = eventType(topic);
  for (let i = 0; i < total; i += 1000) {
    const events: OutboxEventInput[] = [];
    for (let k = i; k < Math.min(total, i + 1000); k++) {
      events.push(
        type.occurrence(
          { writtenAtMs: Date.now(), nhsNumber: nhs(k), filler: FILLER },
          { key: nhs(k), odsCode: 'A81001', region: 'london' },
        ),
      );
    }
    await prisma.$transaction((tx) => outbox.enqueueMany(tx, events));
  }
  await prisma.$disconnect();
  process.stdout.write(JSON.stringify({ loaded: total }) + '\n');
}

/** Commit `rate` events/s for `seconds` from `writers` connections, `perTx` events per commit. */
async function roleLoadRate(): Promise<void> {
  const schema = strArg('schema');
  const topic = strArg('topic');
  const rate = arg('rate', 1000);
  const seconds = arg('seconds', 10);
  const writers = arg('writers', 8);
  const perTx = Math.max(1, Math.ceil(rate / 1000));
  const prisma = createPrismaClient(PrismaClient, {
    url: process.env.DATABASE_URL!,
    schema,
    poolSize: writers,
  });
  const outbox = createOutbox({ source: '/trellis/bench' });
  const type = eventType(topic);
  const total = rate * seconds;
  const started = Date.now();
  let next = 0;
  const writer = async (): Promise<void> => {
    for (;;) {
      const first = next;
      if (first >= total) return;
      const end = Math.min(total, first + perTx);
      next = end;
      const due = started + (first * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // One autocommit statement: the written time is (within a round trip) the commit time.
      const writtenAtMs = Date.now();
      const events: OutboxEventInput[] = [];
      for (let i = first; i < end; i++) {
        events.push(
          type.occurrence({ writtenAtMs, nhsNumber: nhs(i), filler: FILLER }, { key: nhs(i) }),
        );
      }
      if (events.length === 1) await outbox.enqueue(prisma, events[0]!);
      else await outbox.enqueueMany(prisma, events);
    }
  };
  await Promise.all(Array.from({ length: writers }, () => writer()));
  await prisma.$disconnect();
  const actual = total / ((Date.now() - started) / 1000);
  process.stdout.write(JSON.stringify({ loaded: total, rate: Math.round(actual) }) + '\n');
}

/** Run a relay until `expect` events were published (or SIGTERM); print throughput. */
async function roleRelay(): Promise<void> {
  const schema = strArg('schema');
  const expected = arg('expect', 0);
  const publisher = bus('bench-relay').publisher();
  const relay = createOutboxRelay({
    databaseUrl: process.env.DATABASE_URL!,
    schema,
    publisher,
    batchSize: arg('batch', 2000),
    metrics: false,
  });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await relay.start();
  process.stdout.write('READY\n');
  const finish = async (): Promise<void> => {
    const ms = performance.now() - t0;
    await relay.stop();
    await publisher.disconnect();
    process.stdout.write(
      JSON.stringify({
        published: relay.stats.published,
        batches: relay.stats.batches,
        ms,
        cpuMs: cpuMsSince(cpu0),
      }) + '\n',
    );
    process.exit(0);
  };
  process.on('SIGTERM', () => void finish());
  if (expected > 0) {
    while (relay.stats.published < expected) await new Promise((r) => setTimeout(r, 5));
    await finish();
  }
}

// ---- orchestration -----------------------------------------------------------------------------

function runChild(
  role: string,
  args: string[],
): { done: Promise<Record<string, number>>; ready: Promise<void>; stop(): void } {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', __filename, '--role', role, ...args],
    {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  let readyResolve: () => void = () => undefined;
  const ready = new Promise<void>((r) => (readyResolve = r));
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (out.includes('READY\n')) readyResolve();
  });
  const done = new Promise<Record<string, number>>((resolvePromise, reject) => {
    child.on('exit', (code) => {
      const last = out
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop();
      if (code === 0 && last) resolvePromise(JSON.parse(last) as Record<string, number>);
      else reject(new Error(`${role} exited with ${code}: ${out}`));
    });
  });
  return { done, ready, stop: () => child.kill('SIGTERM') };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function main(): Promise<void> {
  loadInfraEnv();
  const role = process.argv.includes('--role') ? strArg('role') : 'main';
  if (role === 'load-bulk') return roleLoadBulk();
  if (role === 'load-rate') return roleLoadRate();
  if (role === 'relay') return roleRelay();

  const runs = arg('runs', 3);
  const events = arg('events', 50_000);
  const batch = arg('batch', 2000);
  const rates = (process.argv.includes('--rates') ? strArg('rates') : String(arg('rate', 1000)))
    .split(',')
    .map(Number);
  const seconds = arg('seconds', 10);
  const writers = arg('writers', 8);
  const only = process.argv.includes('--only') ? strArg('only') : undefined;
  const url = process.env.DATABASE_URL!;
  const suffix = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const schema = `events_bench_${suffix}`;
  const topic = `trellis.bench${suffix}.event.v1`;
  const b = bus('bench-main');
  const admin = b.admin();
  await applyMigrations({ url, schema, migrationsDir: MIGRATIONS });
  await admin.createTopics([
    {
      name: topic,
      partitions: PARTITIONS,
      retentionMs: 3_600_000,
      cleanupPolicy: 'delete',
      description: 'bench',
    },
    {
      name: `${topic}.dlq`,
      partitions: 1,
      retentionMs: 3_600_000,
      cleanupPolicy: 'delete',
      description: 'bench',
    },
  ]);
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const log = (s: string) => process.stderr.write(`${s}\n`);

  try {
    const summary: Record<string, unknown> = {
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      runs,
    };
    if (only !== 'latency') {
      const throughputs: number[] = [];
      for (let r = 1; r <= runs; r++) {
        await pg.query(`TRUNCATE ${quoteIdent(schema)}.outbox_events`);
        await runChild('load-bulk', [
          '--schema',
          schema,
          '--topic',
          topic,
          '--events',
          String(events),
        ]).done;
        const loadBefore = loadAverage();
        const relay = runChild('relay', [
          '--schema',
          schema,
          '--expect',
          String(events),
          '--batch',
          String(batch),
        ]);
        const measured = await cpuOfRelayPath(pg, schema, relay.ready, relay.done);
        const res = measured.result;
        const eps = (res.published! / res.ms!) * 1000;
        throughputs.push(eps);
        const perEvent = (ms: number) => Math.round((ms * 1000) / res.published!);
        log(
          `throughput run ${r}: ${res.published} events in ${Math.round(res.ms!)} ms = ${Math.round(eps)} events/s (${res.batches} batches; CPU µs/event: relay ${perEvent(res.cpuMs!)}, its PostgreSQL backend ${perEvent(measured.backendMs)}, Kafka broker ${perEvent(measured.brokerMs)} (with other clients' work); load ${loadBefore} → ${loadAverage()})`,
        );
      }
      const inTopic = (await admin.groupLag(`${topic}.probe`, [topic])).reduce(
        (s, p) => s + p.lag,
        0,
      );
      if (inTopic !== runs * events)
        throw new Error(`topic holds ${inTopic} messages, expected ${runs * events}`);
      summary.relayThroughput = {
        eventsPerRun: events,
        batchSize: batch,
        medianEventsPerSecond: Math.round(median(throughputs)),
        ratioToGoal: Number((median(throughputs) / GOAL_THROUGHPUT).toFixed(2)),
        runs: throughputs.map(Math.round),
      };
    }
    if (only !== 'throughput') {
      await pg.query(`TRUNCATE ${quoteIdent(schema)}.outbox_events`);
      const byRate = [];
      for (const rate of rates) {
        const p50s: number[] = [];
        const p99s: number[] = [];
        const reached: number[] = [];
        for (let r = 1; r <= runs; r++) {
          const run = await latencyRun(b, { schema, topic, rate, seconds, writers, batch, r });
          p50s.push(run.p50);
          p99s.push(run.p99);
          reached.push(run.rate);
          log(
            `latency ${rate}/s run ${r}: ${run.measured} events at ${run.rate} events/s: p50 ${run.p50} ms, p99 ${run.p99} ms, max ${run.max} ms; commit→Kafka p50 ${run.toKafkaP50} ms, p99 ${run.toKafkaP99} ms; CPU µs/event relay ${run.relayCpuUs}, consumer ${run.consumerCpuUs}; failed attempts ${run.failedAttempts} (load ${run.loadBefore} → ${run.loadAfter})`,
          );
        }
        byRate.push({
          askedEventsPerSecond: rate,
          reachedEventsPerSecond: Math.round(median(reached)),
          seconds,
          medianP50Ms: median(p50s),
          medianP99Ms: median(p99s),
          goalP99Ms: goalP99For(rate),
          p99RatioToGoal: Number((median(p99s) / goalP99For(rate)).toFixed(2)),
          runs: p50s.map((p, i) => ({ p50: p, p99: p99s[i] })),
        });
      }
      summary.commitToConsumeLatency = byRate;
    }
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    await pg.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`).catch(() => undefined);
    await pg.end();
    await admin.deleteTopics([topic, `${topic}.dlq`]).catch(() => undefined);
    await admin.disconnect();
  }
}

/**
 * One latency run: an inbox consumer (this process) on a fresh group, a relay child, a load child
 * committing `rate` events/s; the first second of the load is warm-up, not counted.
 */
async function latencyRun(
  b: EventBus,
  o: {
    schema: string;
    topic: string;
    rate: number;
    seconds: number;
    writers: number;
    batch: number;
    r: number;
  },
) {
  const type = eventType(o.topic);
  const latencies: number[] = [];
  const toKafka: number[] = [];
  let consumed = 0;
  let measureFrom = Number.MAX_SAFE_INTEGER;
  const prisma = prismaFor(o.schema);
  const consumer = createInboxConsumer({
    bus: b,
    groupId: `${o.topic}.latency${o.rate}.${o.r}`,
    topics: [o.topic],
    prisma,
    fromBeginning: false,
    concurrency: PARTITIONS,
    metrics: false,
    handle: async (event) => void type.decode(event.data),
    // Counted once its transaction committed: a rolled-back try that is retried counts once.
    afterTransaction: async (event, outcome) => {
      if (outcome !== 'handled') return;
      const written = type.decode(event.data).writtenAtMs;
      consumed += 1;
      if (measureFrom === Number.MAX_SAFE_INTEGER) measureFrom = written + 1000;
      if (written < measureFrom) return; // warm-up: the first second of the load
      latencies.push(Date.now() - written);
      toKafka.push(event.timestamp - written);
    },
  });
  await consumer.start();
  const relay = runChild('relay', ['--schema', o.schema, '--batch', String(o.batch)]);
  await relay.ready;
  const loadBefore = loadAverage();
  const cpu0 = process.cpuUsage();
  const load = await runChild('load-rate', [
    '--schema',
    o.schema,
    '--topic',
    o.topic,
    '--rate',
    String(o.rate),
    '--seconds',
    String(o.seconds),
    '--writers',
    String(o.writers),
  ]).done;
  const deadline = Date.now() + 30_000;
  while (consumed < load.loaded! && Date.now() < deadline)
    await new Promise((x) => setTimeout(x, 50));
  const loadAfter = loadAverage();
  const consumerCpuMs = cpuMsSince(cpu0);
  relay.stop();
  const relayRun = await relay.done;
  await consumer.stop();
  await prisma.$disconnect();
  if (consumed < load.loaded!)
    throw new Error(`latency run ${o.r}: consumed ${consumed} of ${load.loaded}`);
  return {
    measured: latencies.length,
    rate: load.rate!,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.reduce((m, x) => Math.max(m, x), 0),
    toKafkaP50: percentile(toKafka, 50),
    toKafkaP99: percentile(toKafka, 99),
    failedAttempts: consumer.stats.failedAttempts,
    relayCpuUs: Math.round((relayRun.cpuMs! * 1000) / load.loaded!),
    consumerCpuUs: Math.round((consumerCpuMs * 1000) / load.loaded!),
    loadBefore,
    loadAfter,
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
