/**
 * The extra hop of the gRPC front door: identity GetPatient called directly (the load plays the
 * gateway with a service token, as the platforms now require) and through the gateway's front door
 * (authentication, suspension check, rate budget, forwarding), same load, same patients.
 *
 *   node -r @swc-node/register tools/bench/front-door/bench.ts [--patients 200] [--seconds 10] [--connections 32] [--runs 3]
 *
 * The gateway runs in this process (its CPU = this process's CPU during a run), identity as a child
 * process (CPU from /proc), the load generator (tools/bench/front-door/load.ts) as a third process
 * reporting its own CPU. Each mode runs --runs times, alternating; medians are reported.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { testServiceIdentity } from '@trellis/auth/testing';
import { identity } from '@trellis/contracts';
import { grpcChannel, typedClient } from '@trellis/service-kit';
import {
  createTestSchema,
  freePort,
  loadInfraEnv,
  serviceEnv,
  spawnService,
} from '@trellis/testing';

import { getToken, registerClient, startGateway } from '@trellis/gateway/test/support/harness';

const ROOT = join(__dirname, '../../..');
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};

function run(args: string[]): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['-r', '@swc-node/register', ...args], {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>)
        : reject(new Error(`load exited ${code}`)),
    );
  });
}

/** utime + stime of a process in ms (Linux /proc, CLK_TCK 100). */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
};

async function main(): Promise<void> {
  Object.assign(process.env, loadInfraEnv());
  const patients = Number(arg('patients', '200'));
  const seconds = arg('seconds', '10');
  const connections = arg('connections', '32');
  const runs = Number(arg('runs', '3'));

  const schema = await createTestSchema('identity');
  const [identityPort, doorPort] = [await freePort(), await freePort()];
  const gw = await startGateway({
    IDENTITY_GRPC_ADDR: `127.0.0.1:${identityPort}`,
    FRONTDOOR_GRPC_PORT: String(doorPort),
    GATEWAY_RATE_LIMIT_PER_WINDOW: '100000000',
    LOG_LEVEL: 'error',
  });
  const first = 999_000_000 + Math.floor(Math.random() * 900) * 1_000;
  const platform = await spawnService({
    name: 'identity',
    env: serviceEnv({
      SERVICE_NAME: 'identity',
      DATABASE_SCHEMA: schema.schema,
      DATABASE_POOL_SIZE: '16',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(identityPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      AUTH_ISSUER: gw.baseUrl,
      AUTH_JWKS_URL: `${gw.baseUrl}/.well-known/jwks.json`,
      NHS_NUMBER_RANGE_NAME: 'front_door_bench',
      NHS_NUMBER_RANGE_FIRST: String(first),
      NHS_NUMBER_RANGE_LAST: String(first + 999),
      OUTBOX_RELAY_ENABLED: 'false',
    }),
    ready: { grpc: `127.0.0.1:${identityPort}` },
  });
  const file = join(tmpdir(), `front-door-bench-${process.pid}.json`);
  const door = `127.0.0.1:${doorPort}`;
  try {
    const scopes = ['system/Patient.crs'];
    const token = await getToken(gw, await registerClient(gw, { scopes }), scopes.join(' '));
    const numbers: string[] = [];
    // the patients are registered through the door with the typed client (a failure throws)
    const channel = grpcChannel(door);
    const client = typedClient(identity.v1.PatientServiceDefinition, channel, {
      deadlineMs: 15_000,
    });
    for (let i = 0; i < patients; i++) {
      await client.registerPatient(
        {
          overrideDuplicates: true,
          overrideReason: 'bench',
          patient: {
            names: [{ use: 1, family: `Bench${i}`, given: ['Ada'], prefix: [] }],
            gender: identity.v1.Gender.GENDER_FEMALE,
            birthDate: `19${String(50 + (i % 40))}-0${1 + (i % 9)}-1${i % 9}`,
            addresses: [
              { use: 1, lines: [`${i} High Street`], city: 'Leeds', postcode: 'LS1 4AP' },
            ],
            telecom: [],
            gpOdsCode: 'B82001',
            confidentiality: identity.v1.Confidentiality.CONFIDENTIALITY_NORMAL,
          },
        },
        { forward: { authorization: `Bearer ${token}` } },
      );
    }
    channel.close();
    const { rows } = await import('pg').then(async ({ Client }) => {
      const pg = new Client({ connectionString: process.env['DATABASE_URL'] });
      await pg.connect();
      try {
        return await pg.query<{ nhs: string }>(
          `SELECT nhs_number AS nhs FROM "${schema.schema}".patient`,
        );
      } finally {
        await pg.end();
      }
    });
    numbers.push(...rows.map((r) => r.nhs));
    writeFileSync(file, JSON.stringify(numbers));

    const modes = {
      direct: [`127.0.0.1:${identityPort}`, testServiceIdentity().token()],
      frontDoor: [door, ''],
    } as const;
    const results: Record<keyof typeof modes, Array<Record<string, number>>> = {
      direct: [],
      frontDoor: [],
    };
    for (let i = 0; i < runs; i++) {
      for (const mode of Object.keys(modes) as Array<keyof typeof modes>) {
        const [address, svc] = modes[mode];
        const gw0 = process.cpuUsage();
        const t0 = Date.now();
        const id0 = procCpuMs(platform.pid);
        const r = await run([
          join(__dirname, 'load.ts'),
          address,
          file,
          connections,
          seconds,
          token,
          ...(svc ? [svc] : []),
        ]);
        const g = process.cpuUsage(gw0);
        const wallS = (Date.now() - t0) / 1000;
        // CPU is counted over the 2 s warm-up too: scale the measured requests to the whole span
        const served = (r['requests']! * (r['seconds']! + 2)) / r['seconds']!;
        const per = (ms: number) => Math.round((ms * 1000) / served);
        const row = {
          rps: r['rps']!,
          errors: r['errors']!,
          p50Ms: r['p50Ms']!,
          p99Ms: r['p99Ms']!,
          // the gateway process also runs its relay, rate-limit sync and Kafka feeds: measured
          // while it forwards nothing (direct runs) and subtracted from the front-door runs
          gatewayCpuUs: per((g.user + g.system) / 1000),
          gatewayBackgroundMsPerS: Math.round((g.user + g.system) / 1000 / wallS),
          identityCpuUs: per(procCpuMs(platform.pid) - id0),
          loadCpuUs: r['loadCpuUsPerRequest']!,
        };
        results[mode].push(row);
        process.stderr.write(`${mode} run ${i + 1}: ${JSON.stringify(row)}\n`);
      }
    }
    const summary = (rs: Array<Record<string, number>>) =>
      Object.fromEntries(
        [
          'rps',
          'p50Ms',
          'p99Ms',
          'gatewayCpuUs',
          'gatewayBackgroundMsPerS',
          'identityCpuUs',
          'loadCpuUs',
          'errors',
        ].map((k) => [k, median(rs.map((r) => r[k]!))]),
      );
    const direct = summary(results.direct);
    const viaDoor = summary(results.frontDoor);
    // background CPU (ms per second, from the direct runs) spread over the door's requests per second
    const background = Math.round((direct['gatewayBackgroundMsPerS']! * 1000) / viaDoor['rps']!);
    console.log(
      JSON.stringify(
        {
          call: 'identity GetPatient',
          patients: numbers.length,
          connections: Number(connections),
          seconds: Number(seconds),
          runs,
          medianOf: runs,
          direct,
          frontDoor: viaDoor,
          extraHop: {
            gatewayCpuUsPerRequest: viaDoor['gatewayCpuUs'],
            gatewayCpuUsPerRequestNetOfBackground: viaDoor['gatewayCpuUs']! - background,
            rpsRatio: Math.round((viaDoor['rps']! / direct['rps']!) * 1000) / 1000,
            p50MsAdded: Math.round((viaDoor['p50Ms']! - direct['p50Ms']!) * 100) / 100,
          },
          cpus: cpus().length,
          loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
        },
        null,
        2,
      ),
    );
  } finally {
    rmSync(file, { force: true });
    await platform.stop().catch(() => undefined);
    await gw.stop();
    await schema.drop();
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
