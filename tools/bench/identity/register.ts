/**
 * Registration cost, identity and PostgreSQL alone: the real registration (PatientsService
 * .register: validation, locks, duplicate check, NHS number, insert, version, outbox event) run in
 * this process on a pg pool against one identity schema, no gRPC and no gateway, so the CPU of a
 * create is measured where it is spent with little noise from the rest of the stack.
 *
 *   node -r @swc-node/register tools/bench/identity/register.ts [--schema regbench_identity]
 *        [--count 1000] [--blocks 3] [--concurrency 4] [--statements] [--seed 1]
 *
 * The schema must hold the patients the duplicate check searches (seed it first, e.g.
 * `apps/identity/src/seed/seed.ts --schema regbench_identity --count 100000 --force`); creates take
 * their numbers from the range `regbench_create` (990000000x–997999999x), apart from the seeded
 * ones. Bodies are fresh synthetic people (faker en_GB), generated before the timed block.
 * Per block it prints one JSON line: registrations/s, this process's CPU per registration
 * (`process.cpuUsage`), the pool's PostgreSQL backends' CPU per registration (`/proc/<pid>/schedstat`,
 * nanoseconds) and, with `--statements`, the backends' CPU and the statements per registration by
 * statement (named statement, or the first words of its text) — the probe reads /proc around every
 * statement, which costs this process, not the backends. Outbox rows are left unsent (no relay):
 * `--purge` deletes the schema's outbox rows at the end.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

import { createPrismaClientWithPool } from '@trellis/database';
import { createOutbox } from '@trellis/events';
import { NhsNumberAllocator } from '@trellis/nhs-number';
import { loadInfraEnv } from '@trellis/testing';
import type { Pool, PoolClient } from 'pg';

import {
  OutboxPatientEventSink,
  PatientsRepository,
  PatientsService,
  PrismaClient,
  seedFaker,
  syntheticPerson,
} from '@trellis/identity/src/public';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** CPU time of a process in ns (scheduler's own account, not 10 ms ticks); 0 when gone. */
function schedNs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

interface StatementCost {
  count: number;
  ns: number;
}

/** A statement's label: its prepared name, else its first words. */
function labelOf(q: unknown): string {
  // literals left out: one label for a text that differs only in them (registration's lock keys)
  if (typeof q === 'string')
    return q
      .replace(/'(?:[^']|'')*'/g, "'…'")
      .trim()
      .split(/\s+/)
      .slice(0, 3)
      .join(' ');
  const o = q as { name?: string; text?: string };
  if (o.name) return o.name;
  return (o.text ?? '?')
    .replace(/\/\*.*?\*\//g, '')
    .trim()
    .split(/\s+/)
    .slice(0, 3)
    .join(' ');
}

/** Wraps a pooled connection's query to charge its backend's CPU to the statement. */
function probe(client: PoolClient, costs: Map<string, StatementCost>): void {
  const c = client as PoolClient & { processID?: number; __probed?: boolean };
  if (c.__probed) return;
  c.__probed = true;
  const query = c.query.bind(c) as (...a: unknown[]) => unknown;
  (c as unknown as { query: (...a: unknown[]) => unknown }).query = (...a: unknown[]) => {
    const pid = c.processID!;
    const before = schedNs(pid);
    const res = query(...a);
    if (!(res instanceof Promise)) return res;
    return res.finally(() => {
      const label = labelOf(a[0]);
      const e = costs.get(label) ?? { count: 0, ns: 0 };
      e.count += 1;
      e.ns += schedNs(pid) - before;
      costs.set(label, e);
    });
  };
}

async function backends(pool: Pool, n: number): Promise<number[]> {
  // hold n connections at once, so the pool has opened them all; their pids are its backends
  const held = await Promise.all(Array.from({ length: n }, () => pool.connect()));
  const pids = held.map((c) => (c as PoolClient & { processID: number }).processID);
  held.forEach((c) => c.release());
  return pids;
}

async function main(): Promise<void> {
  const env = loadInfraEnv();
  const schema = arg('schema', 'regbench_identity');
  const count = Number(arg('count', '1000'));
  const blocks = Number(arg('blocks', '3'));
  const concurrency = Number(arg('concurrency', '4'));
  const statements = process.argv.includes('--statements');
  seedFaker(Number(arg('seed', String(Date.now() % 1_000_000))));

  const { client, pool } = createPrismaClientWithPool(PrismaClient, {
    url: env.DATABASE_URL,
    schema,
    poolSize: concurrency,
    applicationName: 'identity-regbench',
    idleTimeoutMillis: 600_000,
  });
  const costs = new Map<string, StatementCost>();
  if (statements) pool.on('acquire', (c) => probe(c, costs));
  const allocator = new NhsNumberAllocator(client, {
    name: 'regbench_create',
    first: 990_000_000,
    last: 997_999_999,
  });
  await allocator.ensureRange();
  const service = new PatientsService(
    new PatientsRepository(client, pool),
    allocator,
    new OutboxPatientEventSink(createOutbox({ source: '/trellis/identity' })),
  );
  const actor = {
    systemId: 'regbench',
    odsCode: 'A81001',
    region: 'north-east',
    scopes: ['system/Patient.c', 'system/Patient.r'],
  };
  const pids = await backends(pool, concurrency);
  const noOverride = { flag: false, reason: '' };

  const block = async (n: number) => {
    const bodies = Array.from({ length: n }, () => syntheticPerson());
    let next = 0;
    let ok = 0;
    let refused = 0;
    costs.clear();
    const pg0 = pids.reduce((s, p) => s + schedNs(p), 0);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const load = loadavg()[0]!;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          try {
            await service.register(actor, body, noOverride);
            ok++;
          } catch (err) {
            if ((err as { code?: string }).code !== 'DUPLICATE_PATIENT') throw err;
            refused++;
          }
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const pgNs = pids.reduce((s, p) => s + schedNs(p), 0) - pg0;
    return {
      registrations: n,
      ok,
      refused,
      perSecond: Math.round(n / seconds),
      clientUsPer: Math.round((cpu.user + cpu.system) / n),
      pgUsPer: Math.round(pgNs / 1000 / n),
      load: [load, loadavg()[0]],
      ...(statements
        ? {
            statements: Object.fromEntries(
              [...costs.entries()]
                .sort((a, b) => b[1].ns - a[1].ns)
                .map(([k, v]) => [
                  k,
                  {
                    perCreate: +(v.count / n).toFixed(2),
                    usPerCreate: Math.round(v.ns / 1000 / n),
                  },
                ]),
            ),
          }
        : {}),
    };
  };

  await block(Math.min(200, count)); // warm-up: plans, caches, JIT
  for (let b = 0; b < blocks; b++) {
    process.stdout.write(
      `${JSON.stringify({ block: b + 1, schema, concurrency, ...(await block(count)) })}\n`,
    );
  }
  if (statements) {
    // custom plans are planned on every execution; generic ones once per connection
    const plans = await pool.query<{ name: string; generic_plans: string; custom_plans: string }>(
      'SELECT name, generic_plans, custom_plans FROM pg_prepared_statements ORDER BY name',
    );
    process.stdout.write(`${JSON.stringify({ plans: plans.rows })}\n`);
  }
  if (process.argv.includes('--purge')) await pool.query('DELETE FROM outbox_events');
  await (client as { $disconnect(): Promise<void> }).$disconnect();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
