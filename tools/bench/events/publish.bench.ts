/**
 * Publisher-only throughput of the events port (no database): 2000-message batches (~220-byte
 * payload, CloudEvents headers, 12 partitions) through the bus's EventPublisher (idempotent,
 * acks=all); median of rounds. Broker from .trellis/infra.env or KAFKA_* variables. It compared
 * kafkajs with @platformatic/kafka (rounds interleaved) until kafkajs was retired: that run is
 * commit c0ad8ed, its figures are in docs/events.md.
 *
 *   node -r @swc-node/register tools/bench/events/publish.bench.ts   (ROUNDS=5)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createEventBus, kafkaConfigFromEnv, type EventBus } from '@trellis/events';

function loadInfraEnv(): void {
  const root = resolve(__dirname, '..', '..', '..');
  const file = join(process.env.TRELLIS_HOME ?? join(root, '.trellis'), 'infra.env');
  if (!existsSync(file)) return;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m && process.env[m[1]!] === undefined) process.env[m[1]!] = m[2]!;
  }
}

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const PER_ROUND = 20_000;
const BATCH = 2_000;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  loadInfraEnv();
  const cfg = (id: string) => kafkaConfigFromEnv(process.env, id);
  const buses: Record<string, EventBus> = {
    platformatic: createEventBus(cfg('micro-platformatic')),
  };
  const only = process.env.CLIENTS?.split(',') ?? Object.keys(buses);
  const topic = `trellis.micro${randomBytes(4).toString('hex')}.event.v1`;
  const admin = buses[only[0]!]!.admin();
  await admin.createTopics([
    {
      name: topic,
      partitions: 12,
      retentionMs: 3_600_000,
      cleanupPolicy: 'delete',
      description: 'micro',
    },
  ]);
  const headers = {
    ce_specversion: '1.0',
    ce_id: 'x'.repeat(36),
    ce_source: '/trellis/bench',
    ce_type: 'uk.nhs.trellis.bench.v1',
    ce_time: new Date().toISOString(),
    'content-type': 'application/protobuf',
    traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
  };
  const value = randomBytes(220);
  const results: Record<string, number[]> = {};
  const pubs = Object.fromEntries(only.map((n) => [n, buses[n]!.publisher()]));
  for (const p of Object.values(pubs)) await p.connect();
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of only) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < PER_ROUND; i += BATCH) {
        await pubs[name]!.publish(
          Array.from({ length: BATCH }, (_, k) => ({
            topic,
            key: `999${String(i + k).padStart(7, '0')}`,
            value,
            headers,
          })),
        );
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      (results[name] ??= []).push(Math.round((PER_ROUND / ms) * 1000));
      process.stderr.write(
        `${name} round ${r + 1}: ${Math.round((PER_ROUND / ms) * 1000)} msg/s\n`,
      );
    }
  }
  for (const p of Object.values(pubs)) await p.disconnect();
  await admin.deleteTopics([topic]).catch(() => undefined);
  await admin.disconnect();
  console.log(
    JSON.stringify(
      Object.fromEntries(
        Object.entries(results).map(([k, v]) => [k, { median: median(v), rounds: v }]),
      ),
    ),
  );
}
main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
