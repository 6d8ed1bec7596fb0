/**
 * The national journey, end to end, against a running platform (`npm start`), as local systems do
 * it: FHIR R4 REST at the gateway where the facade has the interaction, gRPC with the same bearer
 * token where it does not (the step says which). Run with `npm run demo`.
 *
 *   node -r @swc-node/register tools/demo/journey.ts [--quiet] [--json-summary FILE]
 *
 * Reads .trellis/demo/systems.json (written by the gateway seed) for the operator, hospital and
 * lab systems' keys; registers a fresh GP practice system for each run (so the run is independent
 * of earlier runs). Env: GATEWAY_URL, *_GRPC_ADDR (deploy/local/ports.env), KAFKA_* (infra.env).
 * The steps are ./journey/steps (in order, run by ./journey/run.ts); the exported runJourney() is
 * what tools/e2e/journey.int-spec.ts asserts on.
 */
import { writeFileSync } from 'node:fs';

import { journeyConfigFromEnv } from './journey/config';
import { runJourney } from './journey/run';

export type { AuditEntry } from './journey/audit';
export { journeyConfigFromEnv, type JourneyConfig } from './journey/config';
export { GrpcError } from './journey/grpc';
export { consoleLog, type JourneyLog } from './journey/log';
export { runRegionalConsumer, type ConsumerRun, type RegionalEvent } from './journey/regional';
export { runJourney, type JourneyResult } from './journey/run';
export type { EverythingSummary } from './journey/steps/08-record';
export type { FhirResponse } from './journey/fhir';

if (require.main === module) {
  const summaryIdx = process.argv.indexOf('--json-summary');
  const cfg = journeyConfigFromEnv();
  fetch(`${cfg.gatewayUrl}/health/ready`, { signal: AbortSignal.timeout(3000) })
    .then((res) => {
      if (res.status !== 200) throw new Error(`gateway not ready (${res.status})`);
    })
    .catch((err: unknown) => {
      console.error(
        `The platform does not answer at ${cfg.gatewayUrl} (${err instanceof Error ? err.message : String(err)}).\nStart it first: npm start (or TRELLIS_START_DETACH=1 npm start), then npm run demo.`,
      );
      process.exit(2);
    })
    .then(() => runJourney(cfg))
    .then((r) => {
      if (summaryIdx > 0 && process.argv[summaryIdx + 1])
        writeFileSync(process.argv[summaryIdx + 1]!, JSON.stringify(r, null, 2));
      console.log(
        `\nDone: patient ${r.nhsNumber}, referral ${r.referralId}, appointment ${r.appointmentId}, report ${r.reportId}.`,
      );
      process.exit(0);
    })
    .catch((err: unknown) => {
      console.error(
        `\njourney failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      process.exit(1);
    });
}
