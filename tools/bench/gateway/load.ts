/**
 * A small HTTP load generator (run as its own process so the load never shares the gateway's
 * event loop): C keep-alive connections, each sending the next request as soon as the previous
 * answered, for D seconds, cycling through a list of paths.
 *
 *   node -r @swc-node/register tools/bench/gateway/load.ts <base-url> <paths.json> <connections> <seconds> [token]
 *
 * Prints one JSON line: { requests, errors, statuses, rps, p50Ms, p90Ms, p99Ms, maxMs, loadCpuUsPerRequest }.
 */
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';

const [base, pathsFile, connArg, secArg, token] = process.argv.slice(2);
if (!base || !pathsFile) {
  console.error('usage: load.ts <base-url> <paths.json> <connections> <seconds> [token]');
  process.exit(2);
}
const paths = JSON.parse(readFileSync(pathsFile, 'utf8')) as string[];
const connections = Number(connArg ?? 64);
const seconds = Number(secArg ?? 20);
const url = new URL(base);
const agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
const latencies: number[] = [];
const statuses: Record<string, number> = {};
let errors = 0;
let next = 0;

function once(path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'GET',
        agent,
        headers: {
          accept: 'application/fhir+json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end();
  });
}

async function worker(until: number): Promise<void> {
  while (Date.now() < until) {
    const path = paths[next++ % paths.length]!;
    const t0 = process.hrtime.bigint();
    const status = await once(path);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status < 200 || status >= 300) errors++;
    latencies.push(ms);
  }
}

async function main(): Promise<void> {
  // warm-up: 2 s, not measured
  const warmUntil = Date.now() + 2_000;
  await Promise.all(Array.from({ length: connections }, () => worker(warmUntil)));
  latencies.length = 0;
  errors = 0;
  for (const k of Object.keys(statuses)) delete statuses[k];
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
      connections,
      seconds: elapsed,
      requests: sorted.length,
      errors,
      statuses,
      rps: Math.round(sorted.length / elapsed),
      p50Ms: pct(0.5),
      p90Ms: pct(0.9),
      p99Ms: pct(0.99),
      maxMs: pct(0.99999),
      // this load generator's own CPU per request (it shares the machine with what it measures)
      loadCpuUsPerRequest: Math.round((cpu.user + cpu.system) / Math.max(sorted.length, 1)),
    }),
  );
  agent.destroy();
}

void main();
