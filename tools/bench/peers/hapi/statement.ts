/**
 * Identity's read statement alone at several data sizes (--statement-growth 100000,909091): the
 * one part of a Patient read and of a search by NHS number whose cost depends on how many patients
 * the schema holds (both run this statement once; the gateway's and identity's own work does not
 * depend on it). One connection per bulk schema (peer_bench_bulk_<N>, seeded by --bulk runs), the
 * statement named as identity names it, over 5,000 random patients of each; blocks of executions
 * alternate between the sizes so load drift hits every size alike. Per block: latency p50/p99 as
 * the client sees it, and the backend's own CPU per statement (/proc). Then EXPLAIN (ANALYZE,
 * BUFFERS) of the statement at each size.
 */
import { loadavg } from 'node:os';

import { Client } from 'pg';

import { READ_SQL } from '@trellis/identity/src/app/patients/record.sql';
import { bulkSet } from './data';
import { cpuMs, machineJiffies } from './procs';
import type { SizedRun } from './report';

/** The p-th percentile (0–100) of `xs` by nearest rank; NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

interface Size {
  patients: number;
  pg: Client;
  backendPid: number;
  sample: string[];
  next: number;
}

const STATEMENT = 'identity_patient_read';

async function open(url: string, patients: number): Promise<Size> {
  const { schema } = bulkSet(patients);
  const pg = new Client({ connectionString: url, application_name: 'peer-bench-statement' });
  await pg.connect();
  await pg.query(`SET search_path TO "${schema}"`);
  const pid = await pg.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const sample = await pg.query<{ nhs: string }>(
    'SELECT nhs_number AS nhs FROM patient ORDER BY random() LIMIT 5000',
  );
  if (sample.rows.length === 0) throw new Error(`${schema} is empty: seed it with --bulk first`);
  return {
    patients,
    pg,
    backendPid: pid.rows[0]!.pid,
    sample: sample.rows.map((r) => r.nhs),
    next: 0,
  };
}

async function block(size: Size, executions: number, round: number): Promise<SizedRun> {
  const load1 = loadavg()[0]!;
  const latencies: number[] = [];
  const cpu0 = cpuMs(size.backendPid);
  const m0 = machineJiffies();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < executions; i++) {
    const nhs = size.sample[size.next++ % size.sample.length]!;
    const s = process.hrtime.bigint();
    const r = await size.pg.query({ name: STATEMENT, text: READ_SQL, values: [nhs] });
    latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
    if (r.rowCount !== 1) throw new Error(`patient ${nhs}: ${r.rowCount} rows`);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const m1 = machineJiffies();
  const backendUs = ((cpuMs(size.backendPid) - cpu0) * 1000) / executions;
  return {
    patients: size.patients,
    results: [
      {
        op: 'statement',
        target: 'trellis',
        round,
        rps: Math.round(executions / seconds),
        p50Ms: Math.round(percentile(latencies, 50) * 1000) / 1000,
        p99Ms: Math.round(percentile(latencies, 99) * 1000) / 1000,
        requests: executions,
        errors: 0,
        cpuUs: { pgStatement: Math.round(backendUs) },
        busyPct: Math.round(((m1.busy - m0.busy) / Math.max(m1.total - m0.total, 1)) * 100),
        load1: Math.round(load1 * 100) / 100,
      },
    ],
  };
}

async function explain(size: Size): Promise<string> {
  const nhs = size.sample[0]!;
  await size.pg.query(`PREPARE explained_read(text) AS ${READ_SQL}`);
  // past the five custom plans, as identity's long-lived named statement is
  // a utility statement takes no bind parameters; the number is ten digits from the table
  for (let i = 0; i < 6; i++) await size.pg.query(`EXECUTE explained_read('${nhs}')`);
  const r = await size.pg.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE explained_read('${nhs}')`,
  );
  await size.pg.query('DEALLOCATE explained_read');
  return r.rows.map((row) => row['QUERY PLAN']).join('\n');
}

/**
 * Runs `blocks` rounds; in each, `executions` statements against every size in turn (after one
 * unmeasured block each). Answers the blocks (for renderGrowth) and each size's plan.
 */
export async function statementGrowth(
  url: string,
  sizes: readonly number[],
  blocks: number,
  executions: number,
): Promise<{ runs: SizedRun[]; plans: Array<{ patients: number; plan: string }> }> {
  const opened: Size[] = [];
  try {
    for (const patients of sizes) opened.push(await open(url, patients));
    for (const size of opened) await block(size, executions, 0);
    const runs: SizedRun[] = [];
    for (let round = 1; round <= blocks; round++)
      for (const size of round % 2 ? opened : [...opened].reverse())
        runs.push(await block(size, executions, round));
    const plans = [];
    for (const size of opened) plans.push({ patients: size.patients, plan: await explain(size) });
    return { runs, plans };
  } finally {
    await Promise.all(opened.map((s) => s.pg.end()));
  }
}
