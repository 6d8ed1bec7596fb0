/**
 * Example consumer of a regional authority's stream, written as an authority would: plain kafkajs
 * and the published .proto files (protobufjs) — none of Trellis's own libraries.
 *
 *   node -r @swc-node/register tools/regional/consumer.ts --region north-east [options]
 *
 *   --region R            the authority's region (principal region-R, topic trellis.region.R.v1)
 *   --topic T             read another topic (to show the broker refuses it)
 *   --user U              SASL username (default region-R)
 *   --password-file F     default .trellis/secrets/regions/R.password (or REGION_KAFKA_PASSWORD)
 *   --group G             consumer group (default region-R.example; must start with "region-R.")
 *   --from-beginning      start at the earliest retained offset (even if the group committed later ones)
 *   --offset N            start every partition at offset N
 *   --timestamp ISO|ms    start at the first event at/after this time
 *                         (none of the three: continue from the group's committed offsets, else latest)
 *   --subject NHS         print only events about this patient (key)
 *   --idle-exit-ms N      exit once nothing arrived for N ms (default: run until Ctrl-C)
 *   --max N               exit after N printed events (offsets are then not committed)
 *   --json                one JSON object per line instead of the readable format
 *
 * Env: KAFKA_BROKERS (default 127.0.0.1:9092). Exit codes: 0 ok, 2 usage, 3 not authorised.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kafka, logLevel, type IHeaders, type KafkaMessage } from 'kafkajs';
import * as protobuf from 'protobufjs';

const ROOT = resolve(__dirname, '..', '..');
const PROTO_DIR = join(ROOT, 'proto');
const EVENT_PROTOS = [
  'identity_events',
  'appointments_events',
  'referrals_events',
  'results_events',
].map((f) => `trellis/events/v1/${f}.proto`);

interface Options {
  region: string;
  topic: string;
  user: string;
  password: string;
  group: string;
  start:
    | { kind: 'beginning' }
    | { kind: 'offset'; offset: string }
    | { kind: 'timestamp'; ms: number }
    | { kind: 'committed' };
  subject?: string;
  idleExitMs?: number;
  max?: number;
  json: boolean;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: consumer.ts --region R [--from-beginning|--offset N|--timestamp T] [--json] ...\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) usage(`${name} needs a value`);
    return v;
  };
  const region = get('--region') ?? usage('--region is required');
  if (!/^[a-z][a-z0-9-]*$/.test(region)) usage(`invalid region ${region}`);
  const passwordFile =
    get('--password-file') ?? join(ROOT, '.trellis', 'secrets', 'regions', `${region}.password`);
  const password = process.env.REGION_KAFKA_PASSWORD ?? readFileSync(passwordFile, 'utf8').trim();
  const offset = get('--offset');
  const timestamp = get('--timestamp');
  let start: Options['start'] = { kind: 'committed' };
  if (argv.includes('--from-beginning')) start = { kind: 'beginning' };
  else if (offset !== undefined) {
    if (!/^\d+$/.test(offset)) usage('--offset must be a non-negative integer');
    start = { kind: 'offset', offset };
  } else if (timestamp !== undefined) {
    const ms = /^\d+$/.test(timestamp) ? Number(timestamp) : Date.parse(timestamp);
    if (Number.isNaN(ms)) usage('--timestamp must be ISO 8601 or epoch ms');
    start = { kind: 'timestamp', ms };
  }
  const num = (name: string): number | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) usage(`${name} must be an integer`);
    return Number(v);
  };
  const subject = get('--subject');
  const idleExitMs = num('--idle-exit-ms');
  const max = num('--max');
  return {
    region,
    topic: get('--topic') ?? `trellis.region.${region}.v1`,
    user: get('--user') ?? `region-${region}`,
    password,
    group: get('--group') ?? `region-${region}.example`,
    start,
    ...(subject ? { subject } : {}),
    ...(idleExitMs !== undefined ? { idleExitMs } : {}),
    ...(max !== undefined ? { max } : {}),
    json: argv.includes('--json'),
  };
}

const header = (headers: IHeaders | undefined, name: string): string | undefined => {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[v.length - 1] : v;
  return one === undefined ? undefined : Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
};

function decodePayload(
  root: protobuf.Root,
  dataschema: string | undefined,
  value: Buffer | null,
): unknown {
  const name = dataschema?.startsWith('proto:') ? dataschema.slice('proto:'.length) : undefined;
  if (!name || !value) return undefined;
  try {
    const type = root.lookupType(name);
    return type.toObject(type.decode(value), { longs: String, enums: String, defaults: false });
  } catch (error) {
    return { undecodable: error instanceof Error ? error.message : String(error) };
  }
}

// kafkajs 2.2.4 schedules a timer with a negative delay on Node ≥ 24 (harmless): keep stderr for real problems.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'TimeoutNegativeWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
});

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  // Imports ("trellis/common/v1/...", "google/protobuf/timestamp.proto") resolve against proto/;
  // protobufjs bundles the google well-known types.
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    target.startsWith('google/protobuf/') ? target : join(PROTO_DIR, target);
  root.loadSync(EVENT_PROTOS, { keepCase: false });
  root.resolveAll();
  const kafka = new Kafka({
    clientId: `region-${opts.region}-example`,
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    sasl: { mechanism: 'scram-sha-512', username: opts.user, password: opts.password },
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  });
  const consumer = kafka.consumer({ groupId: opts.group, allowAutoTopicCreation: false });
  let printed = 0;
  let lastActivity = Date.now();
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      await consumer.disconnect().catch(() => undefined);
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  let seekTo: Map<number, string> | undefined;
  if (opts.start.kind !== 'committed') {
    const admin = kafka.admin();
    await admin.connect();
    try {
      if (opts.start.kind === 'timestamp') {
        const offsets = await admin.fetchTopicOffsetsByTimestamp(opts.topic, opts.start.ms);
        seekTo = new Map(offsets.map((o) => [o.partition, o.offset]));
      } else if (opts.start.kind === 'offset') {
        const meta = await admin.fetchTopicOffsets(opts.topic);
        const wanted = opts.start.offset;
        seekTo = new Map(meta.map((m) => [m.partition, wanted]));
      } else {
        // earliest retained offset of every partition, even when the group has committed offsets
        const meta = await admin.fetchTopicOffsets(opts.topic);
        seekTo = new Map(meta.map((m) => [m.partition, m.low]));
      }
    } finally {
      await admin.disconnect();
    }
  }

  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: opts.start.kind === 'beginning' });
  const print = (partition: number, message: KafkaMessage): void => {
    const h = message.headers;
    const key = message.key?.toString('utf8') ?? null;
    if (opts.subject && key !== opts.subject) return;
    const event = {
      topic: opts.topic,
      partition,
      offset: message.offset,
      key,
      id: header(h, 'ce_id'),
      type: header(h, 'ce_type'),
      source: header(h, 'ce_source'),
      time: header(h, 'ce_time'),
      /** When the record reached this topic (broker/producer timestamp). */
      recordTime: new Date(Number(message.timestamp)).toISOString(),
      subject: header(h, 'ce_subject'),
      odscode: header(h, 'ce_odscode'),
      region: header(h, 'ce_region'),
      regions: header(h, 'ce_regions'),
      payloadView: header(h, 'trellis-payload'),
      originId: header(h, 'trellis-origin-id'),
      data: decodePayload(root, header(h, 'ce_dataschema'), message.value),
    };
    printed += 1;
    if (opts.json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else {
      const short = event.type?.replace(/^uk\.nhs\.trellis\./, '') ?? '?';
      process.stdout.write(
        `${event.time ?? '?'}  ${opts.topic}[${partition}]@${message.offset}  ${short}  patient=${key}  org=${event.odscode ?? '-'} regions=${event.regions || event.region || '-'}  view=${event.payloadView ?? '-'}\n    ${JSON.stringify(event.data)}\n`,
      );
    }
  };
  consumer.on(consumer.events.CRASH, (e) => {
    process.stderr.write(`consumer crashed: ${String(e.payload.error)}\n`);
    void stop(isAuthError(e.payload.error) ? 3 : 1);
  });
  await consumer.run({
    // with --max, messages fetched past the limit are skipped: commit nothing rather than skip them
    autoCommit: opts.max === undefined,
    eachMessage: async ({ partition, message }) => {
      if (stopping || (opts.max !== undefined && printed >= opts.max)) return;
      lastActivity = Date.now();
      print(partition, message);
      // not awaited: disconnect() waits for this handler to return
      if (opts.max !== undefined && printed >= opts.max) setImmediate(() => void stop(0));
    },
  });
  if (seekTo)
    for (const [partition, offset] of seekTo)
      consumer.seek({ topic: opts.topic, partition, offset });
  if (opts.idleExitMs !== undefined) {
    const idle = opts.idleExitMs;
    lastActivity = Date.now();
    setInterval(() => {
      if (Date.now() - lastActivity >= idle) void stop(0);
    }, 250).unref();
  }
}

function isAuthError(error: unknown): boolean {
  const e = error as { type?: string; name?: string; message?: string } | undefined;
  return /AUTHORIZATION|SASL_AUTHENTICATION|AUTHENTICATION/i.test(
    `${e?.type ?? ''} ${e?.name ?? ''} ${e?.message ?? ''}`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`,
  );
  process.exit(isAuthError(error) ? 3 : 1);
});
