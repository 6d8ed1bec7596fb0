// The restore runbook (tools/restore/drill.sh) against the real PostgreSQL: a migrated identity
// schema with outbox/inbox rows is backed up under acknowledged writes, destroyed and restored
// into a new database; the drill must pass, must fail when a restored row goes missing, and must
// leave the source schema and no scratch database behind.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';

import { createTestSchema, type TestSchema } from '@trellis/testing';
import { Client } from 'pg';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const drill = path.join(root, 'tools', 'restore', 'drill.sh');

interface DrillRun {
  code: number;
  output: string;
}

async function runDrill(schema: string, ...extra: string[]): Promise<DrillRun> {
  try {
    const { stdout, stderr } = await run('bash', [drill, '--schemas', schema, ...extra], {
      cwd: root,
      env: process.env,
      timeout: 110_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, output: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

const drillDatabases = (output: string): string[] =>
  [...new Set(output.match(/trellis_drill_\d{14}_\d+_(?:live|restored)/g) ?? [])].sort();

describe('restore drill (tools/restore/drill.sh)', () => {
  let source: TestSchema;
  let sql: Client;
  const rowsBefore = { outbox: 7, inbox: 5 };

  beforeAll(async () => {
    source = await createTestSchema('identity');
    sql = new Client({ connectionString: source.url });
    await sql.connect();
    for (let i = 0; i < rowsBefore.outbox; i++) {
      await sql.query(
        `INSERT INTO "${source.schema}".outbox_events (id, topic, key, ce_type, ce_source, ce_time, payload, sent_at)
         VALUES ($1, 'trellis.identity.patient.v1', $2, 'uk.nhs.trellis.identity.patient.registered.v1',
                 '/identity', now(), '\\x01', CASE WHEN $3 THEN now() END)`,
        [randomUUID(), `k${i}`, i % 2 === 0],
      );
    }
    for (let i = 0; i < rowsBefore.inbox; i++) {
      await sql.query(
        `INSERT INTO "${source.schema}".inbox_events (consumer_group, event_id, topic, partition, "offset")
         VALUES ('trellis.identity.test', $1, 'trellis.referrals.referral.v1', 0, $2)`,
        [randomUUID(), i],
      );
    }
  });

  afterAll(async () => {
    await sql.end();
    await source.drop();
  });

  it('backs up under acknowledged writes, destroys, restores into a new database and proves nothing acknowledged was lost', async () => {
    const result = await runDrill(source.schema);
    expect(result.output).toContain('[drill] PASSED');
    expect(result.code).toBe(0);
    for (const proof of [
      'ok   row counts of all',
      'ok   every write acknowledged before the backup point is restored',
      'ok   outbox and inbox rows of each transaction restored together',
      'ok   outbox sequences continue after the restored rows',
    ]) {
      expect(result.output).toContain(proof);
    }
    const acked = /acknowledged before backup point (\d+) \(all restored\), after it (\d+)/.exec(
      result.output,
    );
    expect(Number(acked?.[1])).toBeGreaterThanOrEqual(10);
    expect(Number(acked?.[2])).toBeGreaterThanOrEqual(1);
    expect(result.output).toMatch(/destroyed trellis_drill_\d+_\d+_live/);

    // the source was only read, and both scratch databases are gone
    const counts = await sql.query<{ outbox: string; inbox: string }>(
      `SELECT (SELECT count(*) FROM "${source.schema}".outbox_events) AS outbox,
              (SELECT count(*) FROM "${source.schema}".inbox_events) AS inbox`,
    );
    expect(counts.rows[0]).toEqual({
      outbox: String(rowsBefore.outbox),
      inbox: String(rowsBefore.inbox),
    });
    const names = drillDatabases(result.output);
    expect(names).toHaveLength(2);
    const left = await sql.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [
      names,
    ]);
    expect(left.rows).toEqual([]);
  });

  it('fails when a restored row is missing', async () => {
    const result = await runDrill(source.schema, '--tamper');
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(
      'FAIL outbox and inbox rows of each transaction restored together',
    );
    expect(result.output).toContain('FAIL row counts of all');
    const left = await sql.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [
      drillDatabases(result.output),
    ]);
    expect(left.rows).toEqual([]);
  });
});
