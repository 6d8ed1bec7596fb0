/**
 * Peer benchmark (issue 23): Trellis against a HAPI FHIR JPA server (pinned 8.8.0) on the same
 * PostgreSQL, with the same synthetic patients, driven by one independent load generator (wrk).
 *
 *   node -r @swc-node/register tools/bench/peers/hapi/bench.ts [--patients 10000] [--rounds 3]
 *        [--seconds 20] [--warmup 15] [--connections 64] [--threads 2] [--heap 2g]
 *        [--ops read,search,create] [--out results.json] [--prof-dir /tmp/prof] [--keep-hapi]
 *        [--servers trellis]   # Trellis alone: no HAPI build, boot or copy (A/B of Trellis changes)
 *        [--bulk] [--drop-schema]   # with --servers trellis: a bulk-seeded schema per size (reads, searches)
 *   BENCH_IDENTITY_NODE_ARGS="-r /tmp/count-sql.js" adds node arguments to the identity process.
 *   BENCH_FAST_READ_PROTO=lean|interceptors, BENCH_AUDIT_DELAY_MS=N, BENCH_FAST_ROUTES_TOGGLE_MS=N:
 *   bench-only probes (probes.ts).
 *   node -r @swc-node/register tools/bench/peers/hapi/bench.ts --help   # this text, nothing run
 *   node -r @swc-node/register tools/bench/peers/hapi/bench.ts --render results.json   # table again
 *   node -r @swc-node/register tools/bench/peers/hapi/bench.ts --growth a.json,b.json,…  # sizes compared
 *   node -r @swc-node/register tools/bench/peers/hapi/bench.ts --statement-growth 100000,909091
 *        [--blocks 6] [--executions 1000]   # identity's read statement alone per bulk size, + plans
 *
 * (0) installs wrk when missing (tools/setup/wrk.sh: Debian's package, as root); (1) builds the
 * HAPI peer (server/, Maven) and starts it in its own database (hapi_bench) with a fixed heap;
 * (2) seeds N patients into a Trellis identity schema and boots the gateway (in this process, as
 * tools/bench/gateway does) and identity (child process, outbox relay to Kafka on),
 * with a real bearer token from the token endpoint; (3) copies the same N patients, read through
 * the Trellis FHIR API, into HAPI; (4) warms both up; (5) runs wrk in alternating rounds
 * (Trellis, HAPI, Trellis, HAPI, …) per operation: Patient read by id, search by NHS number
 * (HAPI with its default search cache and with Cache-Control: no-store), Patient create.
 * CPU per request comes from /proc deltas of every process involved. Prints a table.
 * --prof-dir: CPU profile of the gateway (inspector) over the first Trellis round of the first
 * operation, and of identity (--cpu-prof) over its whole run; use it with --ops read.
 * --bulk: exactly --patients patients (≤ 909,091, the valid 999 test numbers) in schema
 * peer_bench_bulk_<N>, filled by the bulk seeder when empty and reused when complete, for latency
 * growth with data size; runs of several sizes (e.g. alternated, --rounds 1 each) are compared with
 * --growth. --drop-schema drops that schema at the end.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort, loadInfraEnv, serviceEnv, spawnService } from '@trellis/testing';

import { getToken, registerClient, startGateway } from '@trellis/gateway/test/support/harness';
import {
  CREATE_RANGE,
  FAKER_SET,
  NHS_SYSTEM,
  SEED_RANGE,
  bulkSet,
  dropTrellisSet,
  seedTrellis,
  seededNhsNumbers,
  trellisPatientCount,
  trellisPatientsForHapi,
  writeCreateBodies,
} from './data';
import {
  buildHapi,
  ensureDatabase,
  hapiId,
  hapiSeededIds,
  loadIntoHapi,
  seededCount,
  startHapi,
  type HapiServer,
} from './hapi';
import { installProbes } from './probes';
import { GroupCpuTracker, kafkaPids, machineJiffies, postgresByClient, type Groups } from './procs';
import { render, renderGrowth, type RoundResult, type SizedRun, type Target } from './report';
import { statementGrowth } from './statement';
import { ensureWrk, runWrk, type WrkResult } from './wrk';

const ROOT = join(__dirname, '../../../..');
const HAPI_DB = 'hapi_bench';
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
const log = (s: string): void => void process.stderr.write(`[peer-bench] ${s}\n`);
const round2 = (n: number): number => Math.round(n * 100) / 100;

/** Pids of a platform started by `npm start` from this checkout (.trellis/run/*.pid), if any. */
function runningPlatform(): number[] {
  const dir = join(process.env['TRELLIS_HOME'] ?? join(ROOT, '.trellis'), 'run');
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.pid'))
      .map((f) => Number(readFileSync(join(dir, f), 'utf8').trim()))
      .filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

interface Op {
  name: string;
  targets: Target[];
  method: 'GET' | 'POST';
  /** lines file for a target and round (paths for GET, bodies for POST) */
  lines(target: Target, round: number): string;
}

/** This file's leading comment: the usage (`--help` prints it instead of starting a run). */
function usage(): string {
  const head = /\/\*\*([\s\S]*?)\*\//.exec(readFileSync(__filename, 'utf8'))?.[1] ?? '';
  return head
    .split('\n')
    .map((l) => l.replace(/^ \* ?/, ''))
    .join('\n')
    .trim();
}

async function main(): Promise<void> {
  if (flag('help') || process.argv.includes('-h')) {
    console.log(usage());
    return;
  }
  // a signal must still run the exit hooks that stop the JVM
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  const saved = arg('render', '');
  if (saved) {
    // re-print the table of an earlier run's --out file
    const { meta, results } = JSON.parse(readFileSync(saved, 'utf8')) as {
      meta: Record<string, string>;
      results: RoundResult[];
    };
    console.log(render(results, meta));
    return;
  }
  const growth = arg('growth', '');
  if (growth) {
    const runs = growth.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')) as SizedRun);
    console.log(renderGrowth(runs));
    return;
  }
  const env = loadInfraEnv();
  Object.assign(process.env, env);
  const statementSizes = arg('statement-growth', '');
  if (statementSizes) {
    const sizes = statementSizes.split(',').map(Number);
    const blocks = Number(arg('blocks', '6'));
    const { runs, plans } = await statementGrowth(
      env.DATABASE_URL,
      sizes,
      blocks,
      Number(arg('executions', '1000')),
    );
    console.log(renderGrowth(runs));
    for (const { patients, plan } of plans) console.log(`\nPlan at ${patients} patients:\n${plan}`);
    const outFile = arg('out', '');
    if (outFile) writeFileSync(outFile, JSON.stringify({ runs, plans }, null, 2));
    return;
  }
  const patients = Number(arg('patients', '10000'));
  const rounds = Number(arg('rounds', '3'));
  const seconds = Number(arg('seconds', '20'));
  const warmup = Number(arg('warmup', '15'));
  const connections = Number(arg('connections', '64'));
  const threads = Number(arg('threads', '2'));
  const heap = arg('heap', '2g');
  const ops = arg('ops', 'read,search,create').split(',');
  const profDir = arg('prof-dir', '');
  const outFile = arg('out', '');
  const withHapi = arg('servers', 'trellis,hapi').split(',').includes('hapi');
  const set = flag('bulk') ? bulkSet(patients) : FAKER_SET;
  if (set.bulk && (withHapi || ops.includes('create')))
    throw new Error(
      '--bulk is for Trellis alone and reads/searches: --servers trellis --ops read,search',
    );
  const tmp = join(tmpdir(), `peer-bench-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  ensureWrk();
  const load0 = loadavg();
  const startedAt = new Date().toISOString();

  if (withHapi) {
    buildHapi(flag('rebuild'));
    await ensureDatabase(env.DATABASE_URL, HAPI_DB);
  }
  const hapiPort = await freePort();
  log(
    withHapi
      ? `starting HAPI on :${hapiPort} (heap ${heap}), seeding Trellis (${patients} patients)…`
      : `Trellis alone (--servers trellis), seeding Trellis (${patients} patients)…`,
  );
  const hapiLog = join(tmp, 'hapi.log');
  const [hapi, seededNow] = await Promise.all([
    withHapi
      ? startHapi({
          databaseUrl: env.DATABASE_URL,
          database: HAPI_DB,
          port: hapiPort,
          heap,
          logFile: hapiLog,
        })
      : undefined,
    seedTrellis(env.DATABASE_URL, set, patients),
  ]);
  log(`${hapi ? `HAPI ready (pid ${hapi.pid}); ` : ''}Trellis seeded ${seededNow} now`);
  let stopHapi: HapiServer['stop'] | undefined = hapi?.stop;
  try {
    await benchBoth();
    if (flag('keep-hapi')) stopHapi = undefined;
  } finally {
    if (stopHapi) await stopHapi();
    else if (hapi) log(`HAPI left running (pid ${hapi.pid}, ${hapi.baseUrl})`);
    if (flag('drop-schema')) {
      await dropTrellisSet(env.DATABASE_URL, set);
      log(`dropped schema ${set.schema}`);
    }
  }

  async function benchBoth(): Promise<void> {
    const identityGrpc = await freePort();
    const gw = await startGateway({
      IDENTITY_GRPC_ADDR: `127.0.0.1:${identityGrpc}`,
      GATEWAY_RATE_LIMIT_PER_WINDOW: '100000000',
      LOG_LEVEL: 'error',
    });
    // bench-only probes (probes.ts): a prototype read path, a delayed audit record, A/B toggling
    log(`gateway up${installProbes(gw.handle.app, log)}; starting identity`);
    const identity = await spawnService({
      name: 'identity',
      nodeArgs: [
        '-r',
        '@swc-node/register',
        ...(profDir
          ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-name=identity.cpuprofile']
          : []),
        // e.g. "-r /tmp/count-sql.js": extra node arguments for the identity process
        ...(process.env['BENCH_IDENTITY_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== ''),
      ],
      env: serviceEnv({
        SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'),
        SERVICE_NAME: 'identity',
        DATABASE_SCHEMA: set.schema,
        DATABASE_POOL_SIZE: '16',
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(identityGrpc),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        LOG_LEVEL: 'warn',
        AUTH_ISSUER: gw.baseUrl,
        AUTH_JWKS_URL: `${gw.baseUrl}/.well-known/jwks.json`,
        NHS_NUMBER_RANGE_NAME: CREATE_RANGE.name,
        NHS_NUMBER_RANGE_FIRST: String(CREATE_RANGE.first),
        NHS_NUMBER_RANGE_LAST: String(CREATE_RANGE.last),
        OUTBOX_RELAY_ENABLED: 'true',
      }),
      ready: { grpc: `127.0.0.1:${identityGrpc}` },
      readyTimeoutMs: 180_000,
    });
    const results: RoundResult[] = [];
    try {
      const scopes = ['system/Patient.crs'];
      const client = await registerClient(gw, { scopes });
      // tokens expire within minutes, and a run lasts longer: a fresh one for every phase
      let token = '';
      const refreshToken = async (): Promise<void> => {
        token = await getToken(gw, client, scopes.join(' '));
      };
      await refreshToken();
      log('identity up; token issued');
      const nhsNumbers = await seededNhsNumbers(env.DATABASE_URL, set, patients);
      // the count only from here on: the list (909,091 numbers with --bulk) is not kept in the
      // gateway's heap through the rounds
      const seededTotal = nhsNumbers.length;
      const have = hapi ? await hapiSeededIds(env.DATABASE_URL, HAPI_DB) : new Set<string>();
      const missing = hapi ? nhsNumbers.filter((n) => !have.has(hapiId(n))) : [];
      if (hapi && missing.length) {
        log(`copying ${missing.length} patients from Trellis into HAPI (has ${have.size})…`);
        const t0 = Date.now();
        for (let i = 0; i < missing.length; i += 1000) {
          await refreshToken();
          const chunk = missing.slice(i, i + 1000);
          await loadIntoHapi(hapi.baseUrl, await trellisPatientsForHapi(gw.baseUrl, token, chunk));
          log(`copied ${i + chunk.length} in ${Math.round((Date.now() - t0) / 1000)} s`);
        }
      }
      const hapiPatients = hapi ? await seededCount(hapi.baseUrl) : 0;

      // 5,000 random seeded patients (the same for both servers), in a fixed shuffled order
      const sample = [...nhsNumbers].sort(() => Math.random() - 0.5).slice(0, 5000);
      const write = (name: string, lines: string[]): string => {
        const f = join(tmp, name);
        writeFileSync(f, `${lines.join('\n')}\n`);
        return f;
      };
      const readPaths = {
        trellis: write(
          'read-trellis.txt',
          sample.map((n) => `/fhir/Patient/${n}`),
        ),
        hapi: write(
          'read-hapi.txt',
          sample.map((n) => `/fhir/Patient/${hapiId(n)}`),
        ),
      };
      const searchPaths = write(
        'search.txt',
        sample.map((n) => `/fhir/Patient?identifier=${encodeURIComponent(`${NHS_SYSTEM}|${n}`)}`),
      );
      // a fresh file of create bodies per run: a repeated body is a duplicate to Trellis (409)
      let bodySeed = Date.now() % 1_000_000_000;
      const bodies = (target: Target, round: number): string => {
        const f = join(tmp, `create-${target}-${round}.jsonl`);
        writeCreateBodies(f, Math.max(2000, (seconds + warmup) * 1000), bodySeed++);
        return f;
      };
      const opDefs: Record<string, Op> = {
        read: {
          name: 'read',
          targets: ['trellis', 'hapi'],
          method: 'GET',
          lines: (t) => (t === 'trellis' ? readPaths.trellis : readPaths.hapi),
        },
        search: {
          name: 'search',
          targets: ['trellis', 'hapi', 'hapi-no-store'],
          method: 'GET',
          lines: () => searchPaths,
        },
        create: { name: 'create', targets: ['trellis', 'hapi'], method: 'POST', lines: bodies },
      };
      const headers = (t: Target, method: 'GET' | 'POST'): Record<string, string> => ({
        Accept: 'application/fhir+json',
        ...(method === 'POST' ? { 'Content-Type': 'application/fhir+json' } : {}),
        ...(t === 'trellis' ? { Authorization: `Bearer ${token}` } : {}),
        ...(t === 'hapi-no-store' ? { 'Cache-Control': 'no-store' } : {}),
      });
      const targetsOf = (op: Op): Target[] => op.targets.filter((t) => withHapi || t === 'trellis');
      const base = (t: Target): string =>
        t === 'trellis' ? gw.baseUrl : `http://127.0.0.1:${hapiPort}`;

      // smoke: one request of each kind against each server must succeed before any load
      for (const op of ops.map((o) => opDefs[o]!)) {
        for (const t of targetsOf(op)) {
          const file = op.lines(t, 0);
          const first = readFileSync(file, 'utf8').split('\n')[0]!;
          const url = op.method === 'GET' ? `${base(t)}${first}` : `${base(t)}/fhir/Patient`;
          const r = await fetch(url, {
            method: op.method,
            headers: headers(t, op.method),
            ...(op.method === 'POST' ? { body: first } : {}),
          });
          if (!r.ok) throw new Error(`smoke ${op.name} ${t}: ${r.status} ${await r.text()}`);
        }
      }

      const run = async (
        op: Op,
        t: Target,
        round: number,
        secs: number,
        profile: boolean,
      ): Promise<RoundResult> => {
        const linesFile = op.lines(t, round); // before the snapshot: writing bodies costs CPU here
        if (t === 'trellis') await refreshToken();
        const fixedGroups = {
          identity: [identity.pid],
          otherTrellis: runningPlatform(),
          kafka: kafkaPids(),
          jvm: hapi ? [hapi.pid] : [],
        };
        // backends are resolved at every sample: a pool reconnecting inside the round opens new ones
        const tracker = new GroupCpuTracker((): Groups => {
          const pgGroups = postgresByClient({
            gateway: [process.pid],
            identity: [identity.pid],
            ...(hapi ? { hapi: [hapi.pid] } : {}),
          });
          const pgGateway = pgGroups.get('gateway') ?? [];
          const pgIdentity = pgGroups.get('identity') ?? [];
          // pgGateway and pgIdentity (the two halves of pgTrellis) are in the --out rounds only
          return {
            ...fixedGroups,
            pgTrellis: [...pgGateway, ...pgIdentity],
            pgGateway,
            pgIdentity,
            pgHapi: pgGroups.get('hapi') ?? [],
          };
        });
        const session = profile ? new Session() : undefined;
        if (session) {
          session.connect();
          await session.post('Profiler.enable');
          await session.post('Profiler.start');
        }
        const load1 = loadavg()[0]!;
        const gw0 = process.cpuUsage();
        tracker.start();
        const m0 = machineJiffies();
        const r: WrkResult = await runWrk({
          baseUrl: base(t),
          linesFile,
          method: op.method,
          postPath: '/fhir/Patient',
          headers: headers(t, op.method),
          connections,
          threads,
          seconds: secs,
        });
        const m1 = machineJiffies();
        const cpu = tracker.stop();
        const g = process.cpuUsage(gw0);
        // this process: finer than /proc ticks, without the tracker's own sampling
        cpu['gateway'] = (g.user + g.system) / 1000 - tracker.ownCpuMs;
        cpu['wrk'] = r.wrkCpuMs;
        // every process on the machine (10 ms jiffies), neighbours included: in the --out rounds only
        cpu['machine'] = (m1.busy - m0.busy) * 10;
        if (session) {
          const { profile: p } = await session.post('Profiler.stop');
          mkdirSync(profDir, { recursive: true });
          writeFileSync(join(profDir, `gateway-${op.name}.cpuprofile`), JSON.stringify(p));
          session.disconnect();
        }
        // what the error count is made of: wrk's socket counts, and the first failed answers
        const socketErrors = r.connectErrors + r.readErrors + r.writeErrors + r.timeouts;
        if (r.statusErrors + socketErrors > 0)
          log(
            `${op.name} ${t} round ${round}: ${r.statusErrors} answers > 399, connect/read/write/timeout ${r.connectErrors}/${r.readErrors}/${r.writeErrors}/${r.timeouts}; first answers: ${JSON.stringify(r.failedSamples)}`,
          );
        const started = Object.entries(tracker.startedInside).filter(([g]) => g !== 'pgTrellis');
        if (started.length)
          log(
            `${op.name} ${t} round ${round}: processes started inside it: ${JSON.stringify(Object.fromEntries(started))}`,
          );
        const cpuUs: Record<string, number> = {};
        for (const [k, ms] of Object.entries(cpu))
          cpuUs[k] = r.requests ? Math.round((ms * 1000) / r.requests) : NaN;
        return {
          op: op.name,
          target: t,
          round,
          rps: round2(r.requests / (r.durationUs / 1e6)),
          p50Ms: round2(r.p50Us / 1000),
          p99Ms: round2(r.p99Us / 1000),
          requests: r.requests,
          errors: r.statusErrors + socketErrors,
          cpuUs,
          busyPct: Math.round(((m1.busy - m0.busy) / Math.max(m1.total - m0.total, 1)) * 100),
          load1: round2(load1),
        };
      };

      for (const op of ops.map((o) => opDefs[o]!)) {
        for (const t of targetsOf(op)) {
          log(`warm-up ${op.name} ${t} ${warmup} s`);
          await run(op, t, 0, warmup, false);
        }
      }
      let profiled = false;
      for (let round = 1; round <= rounds; round++) {
        for (const op of ops.map((o) => opDefs[o]!)) {
          for (const t of targetsOf(op)) {
            const profile: boolean = profDir !== '' && !profiled && t === 'trellis';
            profiled ||= profile;
            const r = await run(op, t, round, seconds, profile);
            results.push(r);
            log(`round ${round} ${op.name} ${t}: ${JSON.stringify(r)}`);
          }
        }
      }
      const load1 = loadavg();
      const meta = {
        started: startedAt,
        command: process.argv.slice(1).join(' '),
        'patients (seeded in each)': `${seededTotal} (Trellis schema ${set.schema} now holds ${await trellisPatientCount(env.DATABASE_URL, set)}${set.bulk ? ', bulk-seeded' : ' with earlier creates'}; HAPI seeded ${hapiPatients}; seeded now ${seededNow})`,
        load: `wrk ${threads} threads, ${connections} connections, ${rounds} rounds × ${seconds} s, warm-up ${warmup} s per server and operation`,
        HAPI: hapi
          ? `FHIR JPA 8.8.0, Spring Boot 3.5.9, -Xms${heap} -Xmx${heap}, database ${HAPI_DB}`
          : 'not run (--servers trellis)',
        Trellis: `gateway (bench process) + identity (child, outbox relay on), schema ${set.schema}; ${set.bulk ? 'NHS numbers: the first N valid 999 test numbers, bulk-seeded' : `NHS numbers ${SEED_RANGE.first}x.. seeded, ${CREATE_RANGE.first}x.. created`}`,
        machine: `${cpus().length} cores; load average before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${load1.map((l) => l.toFixed(2)).join(' ')} (shared with other work)`,
      };
      const table = render(results, meta);
      console.log(table);
      if (outFile)
        writeFileSync(outFile, JSON.stringify({ meta, patients: seededTotal, results }, null, 2));
    } finally {
      await identity.stop().catch((e: unknown) => log(`identity stop: ${String(e)}`));
      await gw.stop();
    }
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
