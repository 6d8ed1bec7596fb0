/**
 * grpc.health.v1 client for `helm test` and operators: checks one or more `host:port` targets and
 * exits non-zero unless every one answers SERVING. Ships in every image (compiled to
 * tools/docker/grpc-health-check.js) so the chart's test pod needs no extra image.
 *
 *   node tools/docker/grpc-health-check.js [--service=NAME] [--timeout-ms=5000] host:port...
 *
 * The two health messages are tiny, so they are encoded by hand (protobuf wire format) instead of
 * loading a .proto at run time.
 */
import * as grpc from '@grpc/grpc-js';

export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

/** grpc.health.v1.HealthCheckResponse.ServingStatus */
export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
export type ServingStatus = (typeof SERVING_STATUS)[number];

function encodeVarint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

function decodeVarint(buf: Buffer, offset: number): { value: number; next: number } {
  let value = 0;
  let shift = 1;
  let i = offset;
  for (;;) {
    if (i >= buf.length) throw new Error('truncated varint');
    const byte = buf[i++]!;
    value += (byte & 0x7f) * shift;
    if ((byte & 0x80) === 0) return { value, next: i };
    shift *= 128;
    if (shift > 2 ** 63) throw new Error('varint too long');
  }
}

/** HealthCheckRequest { string service = 1; } */
export function encodeHealthCheckRequest(service: string): Buffer {
  if (service === '') return Buffer.alloc(0);
  const text = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a]), encodeVarint(text.length), text]);
}

/** HealthCheckRequest decoder (used by tests and by fakes of the health service). */
export function decodeHealthCheckRequest(buf: Buffer): string {
  let service = '';
  let i = 0;
  while (i < buf.length) {
    const key = decodeVarint(buf, i);
    const field = Math.floor(key.value / 8);
    const wire = key.value & 7;
    i = key.next;
    if (wire === 2) {
      const len = decodeVarint(buf, i);
      const end = len.next + len.value;
      if (end > buf.length) throw new Error('truncated field');
      if (field === 1) service = buf.subarray(len.next, end).toString('utf8');
      i = end;
    } else if (wire === 0) {
      i = decodeVarint(buf, i).next;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
  return service;
}

/** HealthCheckResponse { ServingStatus status = 1; } */
export function encodeHealthCheckResponse(status: ServingStatus): Buffer {
  const code = SERVING_STATUS.indexOf(status);
  return code === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x08]), encodeVarint(code)]);
}

export function decodeHealthCheckResponse(buf: Buffer): ServingStatus {
  let code = 0;
  let i = 0;
  while (i < buf.length) {
    const key = decodeVarint(buf, i);
    const field = Math.floor(key.value / 8);
    const wire = key.value & 7;
    i = key.next;
    if (wire === 0) {
      const v = decodeVarint(buf, i);
      if (field === 1) code = v.value;
      i = v.next;
    } else if (wire === 2) {
      const len = decodeVarint(buf, i);
      i = len.next + len.value;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
  return SERVING_STATUS[code] ?? 'UNKNOWN';
}

export interface CheckResult {
  target: string;
  ok: boolean;
  /** SERVING, NOT_SERVING, ... or the gRPC error text. */
  detail: string;
}

/** One Check call against `target` (host:port, plaintext). */
export function checkHealth(
  target: string,
  service: string,
  timeoutMs: number,
): Promise<CheckResult> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  return new Promise<CheckResult>((resolve) => {
    client.makeUnaryRequest<string, ServingStatus>(
      HEALTH_CHECK_PATH,
      encodeHealthCheckRequest,
      decodeHealthCheckResponse,
      service,
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err, status) => {
        client.close();
        if (err)
          resolve({
            target,
            ok: false,
            detail: `${grpc.status[err.code] ?? err.code}: ${err.details}`,
          });
        else resolve({ target, ok: status === 'SERVING', detail: status ?? 'UNKNOWN' });
      },
    );
  });
}

export interface CliOptions {
  service: string;
  timeoutMs: number;
  targets: string[];
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { service: '', timeoutMs: 5000, targets: [] };
  for (const arg of argv) {
    if (arg.startsWith('--service=')) options.service = arg.slice('--service='.length);
    else if (arg.startsWith('--timeout-ms=')) {
      const ms = Number(arg.slice('--timeout-ms='.length));
      if (!Number.isInteger(ms) || ms <= 0)
        throw new Error(`--timeout-ms must be a positive integer, got ${arg}`);
      options.timeoutMs = ms;
    } else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else if (/^[^\s:]+:\d{1,5}$/.test(arg)) options.targets.push(arg);
    else throw new Error(`target must be host:port, got ${JSON.stringify(arg)}`);
  }
  if (options.targets.length === 0) throw new Error('no target given (host:port...)');
  return options;
}

/** Checks every target in parallel; resolves to the process exit code. */
export async function run(
  argv: readonly string[],
  log: (line: string) => void = console.log,
): Promise<number> {
  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (err) {
    log(`usage error: ${(err as Error).message}`);
    return 2;
  }
  const results = await Promise.all(
    options.targets.map((t) => checkHealth(t, options.service, options.timeoutMs)),
  );
  for (const r of results) log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.target} ${r.detail}`);
  return results.every((r) => r.ok) ? 0 : 1;
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((code) => process.exit(code));
}
