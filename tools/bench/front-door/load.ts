/**
 * gRPC load generator for the front-door bench (its own process, so the load never shares the
 * gateway's or identity's event loop): C calls in flight, each sending the next as soon as the
 * previous answered, for D seconds after a 2 s warm-up, cycling through NHS numbers.
 *
 *   node -r @swc-node/register tools/bench/front-door/load.ts <host:port> <nhs.json> <connections> <seconds> <token> [service-token]
 *
 * Prints one JSON line: { requests, errors, codes, rps, p50Ms, p99Ms, loadCpuUsPerRequest }.
 * The load stays raw on the answer side (its bytes are not decoded: the generator measures the door,
 * not a decoder); the request's path and encoding come from the generated PatientService definition.
 */
import { readFileSync } from 'node:fs';

import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { identity } from '@trellis/contracts';

const [address, file, connArg, secArg, token, serviceToken] = process.argv.slice(2);
if (!address || !file || !token) {
  console.error('usage: load.ts <host:port> <nhs.json> <connections> <seconds> <token> [svc]');
  process.exit(2);
}
const numbers = JSON.parse(readFileSync(file, 'utf8')) as string[];
const connections = Number(connArg ?? 32);
const seconds = Number(secArg ?? 10);
const service = identity.v1.PatientServiceDefinition;
const getPatient = service.methods.getPatient;
const PATH = `/${service.fullName}/${getPatient.name}`;
const encodeRequest = (request: identity.v1.GetPatientRequest): Buffer =>
  Buffer.from(getPatient.requestType.encode(request).finish());
/** The answer's bytes as they come (not decoded). */
const rawBytes = (b: Buffer): Buffer => b;
const client = new Client(address, credentials.createInsecure());
const md = new Metadata();
md.set('authorization', `Bearer ${token}`);
if (serviceToken) md.set('x-trellis-service-token', serviceToken);
const latencies: number[] = [];
const codes: Record<string, number> = {};
let errors = 0;
let next = 0;

function once(nhsNumber: string): Promise<number> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      PATH,
      encodeRequest,
      rawBytes,
      { nhsNumber },
      md,
      { deadline: Date.now() + 10_000 },
      (err: ServiceError | null) => resolve(err ? err.code : 0),
    );
  });
}

async function worker(until: number): Promise<void> {
  while (Date.now() < until) {
    const t0 = process.hrtime.bigint();
    const code = await once(numbers[next++ % numbers.length]!);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    codes[code] = (codes[code] ?? 0) + 1;
    if (code !== 0) errors++;
  }
}

async function main(): Promise<void> {
  const warm = Date.now() + 2_000;
  await Promise.all(Array.from({ length: connections }, () => worker(warm)));
  latencies.length = 0;
  errors = 0;
  for (const k of Object.keys(codes)) delete codes[k];
  const start = Date.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: connections }, () => worker(start + seconds * 1000)));
  const cpu = process.cpuUsage(cpu0);
  const elapsed = (Date.now() - start) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) =>
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN) * 100) /
    100;
  console.log(
    JSON.stringify({
      requests: latencies.length,
      errors,
      codes,
      seconds: elapsed,
      rps: Math.round(latencies.length / elapsed),
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
      loadCpuUsPerRequest: Math.round((cpu.user + cpu.system) / Math.max(1, latencies.length)),
    }),
  );
  client.close();
}

void main();
