/**
 * Example consumer of a regional authority's stream, written as an authority would: a plain Kafka
 * client (@platformatic/kafka) and the published .proto files (protobufjs) — none of Trellis's own
 * libraries.
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
import { Admin, Consumer, type Message, type MessagesStream } from '@platformatic/kafka';
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

type Record_ = Message<Buffer, Buffer, Buffer, Buffer>;

/** A header's value (the last one when repeated). */
const header = (headers: Map<Buffer, Buffer>, name: string): string | undefined => {
  let value: string | undefined;
  for (const [k, v] of headers) if (k.toString('utf8') === name) value = v.toString('utf8');
  return value;
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

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  // Imports ("trellis/common/v1/...", "google/protobuf/timestamp.proto") resolve against proto/;
  // protobufjs bundles the google well-known types.
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    target.startsWith('google/protobuf/') ? target : join(PROTO_DIR, target);
  root.loadSync(EVENT_PROTOS, { keepCase: false });
  root.resolveAll();
  const connection = {
    clientId: `region-${opts.region}-example`,
    bootstrapBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    sasl: { mechanism: 'SCRAM-SHA-512' as const, username: opts.user, password: opts.password },
    retries: 2,
  };
  // with --max, messages fetched past the limit are skipped: commit nothing rather than skip them
  const consumer = new Consumer({
    ...connection,
    groupId: opts.group,
    autocommit: opts.max === undefined,
    maxWaitTime: 500,
  });
  const running: { stream?: MessagesStream<Buffer, Buffer, Buffer, Buffer> } = {};
  let printed = 0;
  let lastActivity = Date.now();
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      await running.stream?.close().catch(() => undefined);
      await consumer.close(true).catch(() => undefined);
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  // Where to start: --from-beginning, --offset and --timestamp set every partition explicitly.
  let offsets: { topic: string; partition: number; offset: bigint }[] | undefined;
  if (opts.start.kind !== 'committed') {
    const admin = new Admin(connection);
    try {
      const meta = await admin.metadata({ topics: [opts.topic] });
      const partitions = [...Array(meta.topics.get(opts.topic)?.partitionsCount ?? 0).keys()];
      const list = async (timestamp: bigint): Promise<Map<number, bigint>> => {
        const [t] = await admin.listOffsets({
          topics: [
            {
              name: opts.topic,
              partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })),
            },
          ],
        });
        return new Map((t?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
      };
      const start = opts.start;
      const high = await list(-1n);
      const at =
        start.kind === 'timestamp'
          ? await list(BigInt(start.ms))
          : start.kind === 'beginning'
            ? await list(-2n) // earliest retained, even when the group committed later ones
            : new Map(partitions.map((p) => [p, BigInt(start.offset)]));
      offsets = partitions.map((partition) => {
        const o = at.get(partition);
        // no event at/after the timestamp: start at the end
        return {
          topic: opts.topic,
          partition,
          offset: o === undefined || o < 0n ? high.get(partition)! : o,
        };
      });
    } finally {
      await admin.close();
    }
  }

  const print = (message: Record_): void => {
    const h = message.headers;
    const key = message.key?.toString('utf8') ?? null;
    if (opts.subject && key !== opts.subject) return;
    const partition = message.partition;
    const offset = message.offset.toString();
    const event = {
      topic: opts.topic,
      partition,
      offset,
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
      data: decodePayload(root, header(h, 'ce_dataschema'), message.value ?? null),
    };
    printed += 1;
    if (opts.json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else {
      const short = event.type?.replace(/^uk\.nhs\.trellis\./, '') ?? '?';
      process.stdout.write(
        `${event.time ?? '?'}  ${opts.topic}[${partition}]@${offset}  ${short}  patient=${key}  org=${event.odscode ?? '-'} regions=${event.regions || event.region || '-'}  view=${event.payloadView ?? '-'}\n    ${JSON.stringify(event.data)}\n`,
      );
    }
  };
  const stream = await consumer.consume({
    topics: [opts.topic],
    ...(offsets ? { mode: 'manual' as const, offsets } : { mode: 'committed' as const }),
    fallbackMode: 'latest',
  });
  running.stream = stream;
  stream.on('error', (error: unknown) => {
    process.stderr.write(`consumer failed: ${errorText(error)}\n`);
    void stop(isAuthError(error) ? 3 : 1);
  });
  stream.on('data', (message: Record_) => {
    if (stopping || (opts.max !== undefined && printed >= opts.max)) return;
    lastActivity = Date.now();
    print(message);
    if (opts.max !== undefined && printed >= opts.max) setImmediate(() => void stop(0));
  });
  if (opts.idleExitMs !== undefined) {
    const idle = opts.idleExitMs;
    lastActivity = Date.now();
    setInterval(() => {
      if (Date.now() - lastActivity >= idle) void stop(0);
    }, 250).unref();
  }
}

/** The error's message and its nested errors' (the client wraps retries in one error). */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { errors, cause } = error as Error & { errors?: unknown[]; cause?: unknown };
  return [
    `${error.name}: ${error.message}`,
    ...(errors ?? []).map(errorText),
    ...(cause ? [errorText(cause)] : []),
  ].join(' | ');
}

function isAuthError(error: unknown): boolean {
  return /authorization|authentication/i.test(errorText(error));
}

main().catch((error: unknown) => {
  process.stderr.write(`${errorText(error)}\n`);
  process.exit(isAuthError(error) ? 3 : 1);
});
