/**
 * Outbox relay benchmark (not a timed test). Measures on this machine, against the real
 * PostgreSQL and Kafka from .trellis/infra.env:
 *   1. relay throughput: N events pre-loaded into an outbox (by a separate load process), then
 *      one relay process publishes them; events/s = N / time until the outbox is empty;
 *   2. commit→consume latency: a separate load process commits events at a steady rate
 *      (each payload carries the time it was written, just before COMMIT), a relay process
 *      publishes them, and an inbox consumer (this process) records now − written time when its
 *      handler runs; p50/p99 per run (the first second of each run is warm-up, not counted).
 * Each figure is the median over runs, with its ratio to the goal (≥ 20,000 events/s; p99 ≤ 100 ms).
 *
 *   node -r @swc-node/register tools/bench/events/relay.bench.ts [--runs 3] [--events 50000]
 *        [--batch 2000] [--rate 1000] [--seconds 10] [--json]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
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
const GOAL_THROUGHPUT = 20_000;
const GOAL_P99_MS = 100;
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

/** Commit `rate` events/s for `seconds`, one event per transaction, 4 writers. */
async function roleLoadRate(): Promise<void> {
  const schema = strArg('schema');
  const topic = strArg('topic');
  const rate = arg('rate', 1000);
  const seconds = arg('seconds', 10);
  const prisma = prismaFor(schema);
  const outbox = createOutbox({ source: '/trellis/bench' });
  const type = eventType(topic);
  const total = rate * seconds;
  const started = Date.now();
  let next = 0;
  const writer = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const due = started + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // One autocommit statement: the written time is (within a round trip) the commit time.
      await outbox.enqueue(
        prisma,
        type.occurrence(
          { writtenAtMs: Date.now(), nhsNumber: nhs(i), filler: FILLER },
          { key: nhs(i) },
        ),
      );
    }
  };
  await Promise.all([writer(), writer(), writer(), writer()]);
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
  await relay.start();
  process.stdout.write('READY\n');
  const finish = async (): Promise<void> => {
    const ms = performance.now() - t0;
    await relay.stop();
    await publisher.disconnect();
    process.stdout.write(
      JSON.stringify({ published: relay.stats.published, batches: relay.stats.batches, ms }) + '\n',
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
  const rate = arg('rate', 1000);
  const seconds = arg('seconds', 10);
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
    // 1. throughput
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
      const res = await runChild('relay', [
        '--schema',
        schema,
        '--expect',
        String(events),
        '--batch',
        String(batch),
      ]).done;
      const eps = (res.published! / res.ms!) * 1000;
      throughputs.push(eps);
      log(
        `throughput run ${r}: ${res.published} events in ${Math.round(res.ms!)} ms = ${Math.round(eps)} events/s (${res.batches} batches)`,
      );
    }
    const inTopic = (await admin.groupLag(`${topic}.probe`, [topic])).reduce(
      (s, p) => s + p.lag,
      0,
    );
    if (inTopic !== runs * events)
      throw new Error(`topic holds ${inTopic} messages, expected ${runs * events}`);

    // 2. latency
    await pg.query(`TRUNCATE ${quoteIdent(schema)}.outbox_events`);
    const p50s: number[] = [];
    const p99s: number[] = [];
    const rates: number[] = [];
    const type = eventType(topic);
    for (let r = 1; r <= runs; r++) {
      const latencies: number[] = [];
      const toKafka: number[] = [];
      let consumed = 0;
      let measureFrom = Number.MAX_SAFE_INTEGER;
      const prisma = prismaFor(schema);
      const consumer = createInboxConsumer({
        bus: b,
        groupId: `${topic}.latency${r}`,
        topics: [topic],
        prisma,
        fromBeginning: false,
        concurrency: PARTITIONS,
        metrics: false,
        handle: async (event) => {
          const written = type.decode(event.data).writtenAtMs;
          consumed += 1;
          if (measureFrom === Number.MAX_SAFE_INTEGER) measureFrom = written + 1000;
          if (written < measureFrom) return; // warm-up: the first second of the load
          latencies.push(Date.now() - written);
          toKafka.push(event.timestamp - written);
        },
      });
      await consumer.start();
      const relay = runChild('relay', ['--schema', schema, '--batch', String(batch)]);
      await relay.ready;
      const load = await runChild('load-rate', [
        '--schema',
        schema,
        '--topic',
        topic,
        '--rate',
        String(rate),
        '--seconds',
        String(seconds),
      ]).done;
      const deadline = Date.now() + 30_000;
      while (consumed < load.loaded! && Date.now() < deadline)
        await new Promise((x) => setTimeout(x, 50));
      relay.stop();
      await relay.done;
      await consumer.stop();
      await prisma.$disconnect();
      if (consumed < load.loaded!)
        throw new Error(`latency run ${r}: consumed ${consumed} of ${load.loaded}`);
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      p50s.push(p50);
      p99s.push(p99);
      rates.push(load.rate!);
      log(
        `latency run ${r}: ${latencies.length} events at ${load.rate} events/s: p50 ${p50} ms, p99 ${p99} ms, max ${Math.max(...latencies)} ms; commit→Kafka p50 ${percentile(toKafka, 50)} ms, p99 ${percentile(toKafka, 99)} ms`,
      );
    }

    const summary = {
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      runs,
      relayThroughput: {
        eventsPerRun: events,
        batchSize: batch,
        medianEventsPerSecond: Math.round(median(throughputs)),
        ratioToGoal: Number((median(throughputs) / GOAL_THROUGHPUT).toFixed(2)),
        runs: throughputs.map(Math.round),
      },
      commitToConsumeLatency: {
        loadEventsPerSecond: Math.round(median(rates)),
        seconds,
        medianP50Ms: median(p50s),
        medianP99Ms: median(p99s),
        p99RatioToGoal: Number((median(p99s) / GOAL_P99_MS).toFixed(2)),
        runs: p50s.map((p, i) => ({ p50: p, p99: p99s[i] })),
      },
    };
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    await pg.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`).catch(() => undefined);
    await pg.end();
    await admin.deleteTopics([topic, `${topic}.dlq`]).catch(() => undefined);
    await admin.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
