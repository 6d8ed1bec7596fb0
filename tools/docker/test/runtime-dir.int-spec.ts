/**
 * Issue 22's proof: a service's production bundle boots from a directory holding only what its
 * runtime image holds (build output + its production node_modules, nothing from the workspace),
 * migrates its schema with the shipped migrate CLI and answers gRPC health SERVING and
 * /health/ready 200 against the real PostgreSQL and Kafka.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client } from 'pg';
import { loadInfraEnv } from '@trellis/testing';

import { FORBIDDEN_PACKAGES, stageRuntime, type RuntimeDir } from '../runtime-dir';

jest.setTimeout(240_000);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function until(what: string, check: () => Promise<boolean>, ms = 150_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

// router: the smallest service image; gateway: the largest (FHIR definitions), public REST too
describe.each([
  { app: 'router', extraEnv: { OUTBOX_RELAY_ENABLED: 'false' } },
  { app: 'gateway', extraEnv: {} },
])('runtime image contents: $app boots from its staged runtime directory', ({ app, extraEnv }) => {
  const parent = mkdtempSync(join(tmpdir(), 'trellis-runtime-'));
  const dir = join(parent, app);
  // named like createTestSchema's so a crashed run's schema is swept
  const schema = `${app}_t${randomBytes(5).toString('hex')}`;
  const infra = loadInfraEnv();
  let staged: RuntimeDir;
  let child: ChildProcess | undefined;
  let log = '';

  beforeAll(() => {
    staged = stageRuntime(app, dir);
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    const client = new Client({ connectionString: infra.DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
    rmSync(parent, { recursive: true, force: true });
  });

  it('holds the bundle and production dependencies only', () => {
    for (const name of FORBIDDEN_PACKAGES)
      expect(existsSync(join(dir, 'node_modules', name))).toBe(false);
    expect(existsSync(join(dir, 'node_modules/@prisma/client/package.json'))).toBe(true);
    expect(existsSync(join(dir, `apps/${app}/src/main.js`))).toBe(true);
    expect(existsSync(join(dir, `apps/${app}/src/main.ts`))).toBe(false);
    expect(staged.packages).toContain('node_modules/pg');
    // nothing above the directory can lend a module: it sits outside the repository
    expect(existsSync(join(parent, 'node_modules'))).toBe(false);
    const sbom = JSON.parse(readFileSync(`${dir}.sbom.cdx.json`, 'utf8')) as {
      bomFormat: string;
      components: { name: string; purl: string }[];
    };
    expect(sbom.bomFormat).toBe('CycloneDX');
    expect(sbom.components.map((c) => c.name)).toEqual(
      expect.arrayContaining(['pg', '@prisma/client']),
    );
    expect(sbom.components.map((c) => c.name)).not.toContain('typescript');
  });

  it('migrates with the shipped CLI, then boots and answers health', async () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      DATABASE_URL: infra.DATABASE_URL,
      DATABASE_SCHEMA: schema,
      KAFKA_BROKERS: infra.KAFKA_BROKERS,
      KAFKA_SASL_MECHANISM: infra.KAFKA_SASL_MECHANISM,
      KAFKA_SASL_USERNAME: infra.KAFKA_SASL_USERNAME,
      KAFKA_SASL_PASSWORD: infra.KAFKA_SASL_PASSWORD,
      ...extraEnv,
    };
    const migrate = spawnSync(
      process.execPath,
      ['tools/prisma/cli.js', app, 'migrate-deploy', '--schema', schema],
      { cwd: dir, env, encoding: 'utf8', timeout: 120_000 },
    );
    expect(migrate.stderr).not.toMatch(/Cannot find module/);
    expect(migrate.status).toBe(0);

    const grpcPort = await freePort();
    const httpPort = await freePort();
    child = spawn(process.execPath, [`apps/${app}/src/main.js`], {
      cwd: dir,
      env: { ...env, GRPC_PORT: String(grpcPort), HTTP_PORT: String(httpPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (b: Buffer) => (log += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (log += b.toString()));

    await until('gRPC health SERVING', async () => {
      if (child!.exitCode !== null) throw new Error(`${app} exited ${child!.exitCode}:\n${log}`);
      const probe = spawnSync(
        process.execPath,
        ['tools/docker/grpc-health-check.js', `127.0.0.1:${grpcPort}`],
        { cwd: dir, encoding: 'utf8', timeout: 30_000 },
      );
      return probe.status === 0;
    });
    await until('/health/ready 200', async () => {
      const res = await fetch(`http://127.0.0.1:${httpPort}/health/ready`).catch(() => undefined);
      return res?.status === 200;
    });
    expect(log).not.toMatch(/Cannot find module/);
  });
});
