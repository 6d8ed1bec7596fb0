/**
 * The peer: build the HAPI FHIR JPA server (server/, Maven), run it on the local PostgreSQL in its
 * own database with a stated heap, and load patients into it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { Client } from 'pg';

const SERVER_DIR = join(__dirname, 'server');
export const HAPI_JAR = join(SERVER_DIR, 'target/hapi-peer.jar');
export const SEED_TAG = { system: 'https://trellis.nhs.example/bench', code: 'peer-seed' };

/** Builds the jar unless it is newer than every source file (mvn package; HAPI pinned in pom.xml). */
export function buildHapi(force: boolean): void {
  const javaDir = 'src/main/java/org/trellis/bench/hapi';
  const sources = [
    'pom.xml',
    'src/main/resources/application.properties',
    ...readdirSync(join(SERVER_DIR, javaDir)).map((f) => join(javaDir, f)),
  ];
  const fresh =
    existsSync(HAPI_JAR) &&
    sources.every((s) => statSync(join(SERVER_DIR, s)).mtimeMs < statSync(HAPI_JAR).mtimeMs);
  if (fresh && !force) return;
  process.stderr.write('building the HAPI FHIR peer (mvn package)…\n');
  const r = spawnSync('mvn', ['-B', '-q', '-f', join(SERVER_DIR, 'pom.xml'), 'package'], {
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`mvn package exited ${r.status}`);
}

/** Creates the peer's own database when missing (the Trellis database is never touched). */
export async function ensureDatabase(url: string, database: string): Promise<void> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    const r = await pg.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (r.rowCount === 0) await pg.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await pg.end();
  }
}

export interface HapiServer {
  pid: number;
  baseUrl: string;
  stop(): Promise<void>;
}

export async function startHapi(options: {
  databaseUrl: string;
  database: string;
  port: number;
  heap: string;
  logFile: string;
}): Promise<HapiServer> {
  const u = new URL(options.databaseUrl);
  const jdbc = `jdbc:postgresql://${u.hostname}:${u.port || '5432'}/${options.database}`;
  const child: ChildProcess = spawn(
    'java',
    [
      `-Xms${options.heap}`,
      `-Xmx${options.heap}`,
      '-jar',
      HAPI_JAR,
      `--server.port=${options.port}`,
      `--spring.datasource.url=${jdbc}`,
    ],
    {
      // credentials through the environment (Spring's relaxed binding), not the command line
      env: {
        ...process.env,
        SPRING_DATASOURCE_USERNAME: decodeURIComponent(u.username),
        SPRING_DATASOURCE_PASSWORD: decodeURIComponent(u.password),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = createWriteStream(options.logFile);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const baseUrl = `http://127.0.0.1:${options.port}/fhir`;
  let exited = false;
  child.on('exit', () => (exited = true));
  // never leave the JVM behind, whatever ends this process
  process.once('exit', () => {
    if (!exited) child.kill('SIGKILL');
  });
  const stop = async (): Promise<void> => {
    if (exited) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await gone;
    clearTimeout(timer);
  };
  // first boot creates HAPI's schema: minutes on a loaded 2-core machine
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    if (exited) throw new Error(`HAPI exited during start-up; see ${options.logFile}`);
    try {
      // a request accepted while Tomcat still starts can hang: bound each probe
      const r = await fetch(`${baseUrl}/metadata`, { signal: AbortSignal.timeout(30_000) });
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`HAPI not ready within 15 min; see ${options.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  return { pid: child.pid!, baseUrl, stop };
}

/** Number of seeded patients (tagged) already in HAPI. */
export async function seededCount(baseUrl: string): Promise<number> {
  const r = await fetch(
    `${baseUrl}/Patient?_tag=${encodeURIComponent(`${SEED_TAG.system}|${SEED_TAG.code}`)}&_summary=count`,
    { headers: { 'cache-control': 'no-store' } },
  );
  if (!r.ok) throw new Error(`HAPI count: ${r.status}`);
  return Number(((await r.json()) as { total?: number }).total ?? 0);
}

/** Ids of the seeded patients HAPI already holds (from its own tables: quicker than paging). */
export async function hapiSeededIds(url: string, database: string): Promise<Set<string>> {
  const u = new URL(url);
  u.pathname = `/${database}`;
  const pg = new Client({ connectionString: u.toString() });
  await pg.connect();
  try {
    const exists = await pg.query<{ t: string | null }>(
      `SELECT to_regclass('hfj_resource')::text AS t`,
    );
    if (!exists.rows[0]?.t) return new Set();
    const r = await pg.query<{ id: string }>(
      `SELECT fhir_id AS id FROM hfj_resource WHERE res_type = 'Patient' AND fhir_id LIKE 'nhs%'`,
    );
    return new Set(r.rows.map((x) => x.id));
  } finally {
    await pg.end();
  }
}

/** The HAPI id of a seeded patient: its NHS number after a letter (HAPI refuses numeric client ids). */
export const hapiId = (nhs: string): string => `nhs${nhs}`;

/**
 * Loads resources with their own ids (PUT, so a re-run is idempotent) in transaction bundles;
 * `concurrency` bundles in flight.
 */
export async function loadIntoHapi(
  baseUrl: string,
  patients: Array<Record<string, unknown> & { id: string }>,
  concurrency = 2,
  bundleSize = 500,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < patients.length) {
      const slice = patients.slice(next, next + bundleSize);
      next += bundleSize;
      const bundle = {
        resourceType: 'Bundle',
        // a transaction: HAPI resolves the bundle's ids in bulk and commits once (a batch would
        // run one transaction per entry)
        type: 'transaction',
        entry: slice.map((p) => ({
          resource: p,
          request: { method: 'PUT', url: `Patient/${p.id}` },
        })),
      };
      const r = await fetch(baseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' },
        body: JSON.stringify(bundle),
      });
      const body = (await r.json()) as {
        entry?: Array<{ response?: { status?: string } }>;
      };
      const failed = r.ok
        ? (body.entry ?? []).filter((e) => !/^20[01]/.test(e.response?.status ?? ''))
        : [];
      if (!r.ok || failed.length) {
        throw new Error(`HAPI transaction: ${r.status}, ${failed.length} entries failed`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
