/**
 * Validation cost per resource (µs): the gateway's validator (FHIR R4 structure via @medplum/core
 * + Trellis rules) over the ok/ and not-ok/ fixtures, after a warm-up.
 *
 *   node -r @swc-node/register tools/bench/gateway/validate.ts [--iterations 20000]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadFhirDefinitions, validateFhirResource } from '@trellis/fhir';

const FIXTURES = join(__dirname, '../../../apps/gateway/test/fixtures');
const i = process.argv.indexOf('--iterations');
const iterations = i >= 0 ? Number(process.argv[i + 1]) : 20_000;

function load(sub: string): unknown[] {
  return readdirSync(join(FIXTURES, sub))
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(FIXTURES, sub, f), 'utf8')) as Record<string, unknown>)
    .map((x) => (sub === 'not-ok' ? x['resource'] : x));
}

function measure(resources: unknown[]): { perResourceUs: number; p99Us: number } {
  for (let k = 0; k < 2_000; k++)
    validateFhirResource(resources[k % resources.length], { resourceType: 'Patient' });
  const samples: number[] = [];
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < iterations; k++) {
    const s = process.hrtime.bigint();
    validateFhirResource(resources[k % resources.length], { resourceType: 'Patient' });
    samples.push(Number(process.hrtime.bigint() - s) / 1e3);
  }
  const total = Number(process.hrtime.bigint() - t0) / 1e3;
  samples.sort((a, b) => a - b);
  return {
    perResourceUs: Math.round((total / iterations) * 10) / 10,
    p99Us: Math.round(samples[Math.floor(samples.length * 0.99)]! * 10) / 10,
  };
}

const t = process.hrtime.bigint();
loadFhirDefinitions();
const bootMs = Math.round(Number(process.hrtime.bigint() - t) / 1e6);
const ok = load('ok');
const notOk = load('not-ok');
console.log(
  JSON.stringify({
    definitionsLoadMs: bootMs,
    iterations,
    valid: { resources: ok.length, ...measure(ok) },
    invalid: { resources: notOk.length, ...measure(notOk) },
  }),
);
