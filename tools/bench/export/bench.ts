/**
 * Bulk export throughput: N synthetic patients (999-range NHS numbers, half registered in
 * north-east, half in london) written straight into identity's fresh schema (setup only: the export
 * itself reads identity through ListPatients), then north-east's authority runs
 * Group/region-north-east/$export through the real gateway (in this process) and the real identity
 * platform (child process); reported: resources exported per second from kick-off to the manifest,
 * and the download rate of the NDJSON files. With `--types all` the referrals, appointments and
 * results platforms run too and the export asks each of them for every batch of patients (their
 * ForPatients calls; their tables are not seeded, so this measures the per-batch cost of the other
 * types), with resources per type in the report.
 *
 * Also reported: bytes exported (the files' NDJSON), the job's wall time, the peak RSS of this
 * process (the gateway runs in it; sampled every 250 ms from kick-off to the end of the downloads)
 * and the seeding time. --all-north-east registers every patient in north-east (so the export
 * covers all of them; default half); --max-job-gb raises the gateway's per-job size cap
 * (FHIR_EXPORT_MAX_JOB_BYTES, 1 GiB by default) for runs of a million patients.
 *
 *   node -r @swc-node/register tools/bench/export/bench.ts [--patients 20000] [--page 500] [--types all]
 *        [--all-north-east] [--max-job-gb 4]
 */
import { loadavg } from 'node:os';

import { loadInfraEnv } from '@trellis/testing';
import { Client as PgClient } from 'pg';

import { startFhirStack } from '@trellis/gateway/test/fhir.harness';
import { getToken, registerClient } from '@trellis/gateway/test/support/harness';
import { insertBulkPatients, type GpPractice } from '../bulk-patients';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};

/** Half in north-east, half in london by default; every one in north-east with --all-north-east. */
function practices(allNorthEast: boolean): GpPractice[] {
  const northEast = ['A81001', 'A82001', 'A83001'].map((ods) => ({ ods, region: 'north-east' }));
  const london = ['E81001', 'E82001', 'F84001'].map((ods) => ({ ods, region: 'london' }));
  return allNorthEast ? northEast : [...northEast, ...london];
}

async function main(): Promise<void> {
  Object.assign(process.env, loadInfraEnv());
  const patients = Number(arg('patients', '20000'));
  const page = arg('page', '500');
  const allTypes = arg('types', 'Patient') === 'all';
  const allNorthEast = process.argv.includes('--all-north-east');
  const maxJobBytes = Math.round(Number(arg('max-job-gb', '1')) * 1024 ** 3);
  const stack = await startFhirStack(
    {},
    {
      ...(allTypes ? { referrals: true, appointments: true, results: true } : {}),
      gatewayEnv: {
        FHIR_EXPORT_PAGE_SIZE: page,
        FHIR_EXPORT_POLL_MS: '100',
        FHIR_EXPORT_MAX_JOB_BYTES: String(maxJobBytes),
        FHIR_EXPORT_MAX_RETAINED_BYTES: String(Math.max(4 * 1024 ** 3, maxJobBytes)),
      },
    },
  );
  const pg = new PgClient({ connectionString: process.env['DATABASE_URL'] });
  await pg.connect();
  try {
    const t0 = Date.now();
    const perRegion = await insertBulkPatients(
      pg,
      stack.identitySchema.schema,
      patients,
      practices(allNorthEast),
    );
    const expected = perRegion['north-east'] ?? 0;
    const seedMs = Date.now() - t0;
    process.stderr.write(`seeded ${patients} patients in ${seedMs} ms\n`);
    const reads = allTypes
      ? ['Patient', 'ServiceRequest', 'Appointment', 'DiagnosticReport', 'Observation']
      : ['Patient'];
    const scopes = ['region/north-east/population.read', ...reads.map((t) => `system/${t}.r`)];
    const client = await registerClient(stack.gw, {
      scopes,
      odsCode: 'YRA01',
      region: 'north-east',
    });
    // a run of a million patients outlasts one access token: a fresh one every 4 minutes
    let token = await getToken(stack.gw, client, scopes.join(' '));
    let tokenAt = Date.now();
    const headers = { authorization: `Bearer ${token}`, accept: 'application/fhir+json' };
    const fresh = async () => {
      if (Date.now() - tokenAt > 240_000) {
        token = await getToken(stack.gw, client, scopes.join(' '));
        tokenAt = Date.now();
        headers.authorization = `Bearer ${token}`;
      }
      return headers;
    };
    const load0 = loadavg()[0]!;
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 250);
    const started = Date.now();
    const k = await fetch(`${stack.fhirBase}/Group/region-north-east/$export`, {
      headers: { ...headers, prefer: 'respond-async' },
    });
    if (k.status !== 202) throw new Error(`kick-off ${k.status}`);
    const statusUrl = k.headers.get('content-location')!;
    let manifest: { output: Array<{ type: string; url: string; count: number }> } | undefined;
    while (!manifest) {
      const r = await fetch(statusUrl, { headers: await fresh() });
      if (r.status === 200) manifest = (await r.json()) as typeof manifest;
      else if (r.status !== 202) throw new Error(`status ${r.status}`);
      else await new Promise((res) => setTimeout(res, 200));
    }
    const exportMs = Date.now() - started;
    const count = manifest.output.reduce((s, f) => s + f.count, 0);
    const perType: Record<string, number> = {};
    for (const f of manifest.output) perType[f.type] = (perType[f.type] ?? 0) + f.count;
    if (perType['Patient'] !== expected)
      throw new Error(`exported ${perType['Patient'] ?? 0} patients, expected ${expected}`);
    const d0 = Date.now();
    let bytes = 0;
    for (const f of manifest.output)
      bytes += Buffer.byteLength(await (await fetch(f.url, { headers: await fresh() })).text());
    const downloadMs = Date.now() - d0;
    clearInterval(sampler);
    process.stdout.write(
      JSON.stringify({
        patients,
        seedMs,
        exported: count,
        perType,
        files: manifest.output.length,
        pageSize: Number(page),
        exportMs,
        resourcesPerSecond: Math.round((count / exportMs) * 1000),
        bytes,
        exportBytesPerSecond: Math.round((bytes / exportMs) * 1000),
        downloadMs,
        downloadMBps: Number((bytes / 1e6 / (downloadMs / 1000)).toFixed(1)),
        peakRssMB: Math.round(peakRss / 1e6),
        load1: Number(load0.toFixed(1)),
        load1End: Number(loadavg()[0]!.toFixed(1)),
      }) + '\n',
    );
  } finally {
    await pg.end();
    await stack.stop();
  }
}

void main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
