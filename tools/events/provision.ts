/**
 * Creates the Kafka topics of the registry (libs/events/src/topics.ts) that are missing, grows
 * partitions and fixes cleanup.policy / retention.ms that drifted. Broker auto-create is off, so
 * this is the only way topics come to exist. Idempotent.
 *
 *   node -r @swc-node/register tools/events/provision.ts [--dry-run] [--replication-factor N] [--regions a,b,...]
 *
 * Env: KAFKA_BROKERS, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD (from
 * .trellis/infra.env when unset), TRELLIS_REGIONS, KAFKA_REPLICATION_FACTOR.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  allTopics,
  applyProvisioning,
  createEventBus,
  DEFAULT_REGIONS,
  describeAction,
  kafkaConfigFromEnv,
  planProvisioning,
} from '@trellis/events';

const ROOT = resolve(__dirname, '..', '..');

function loadInfraEnv(): void {
  const file = join(process.env.TRELLIS_HOME ?? join(ROOT, '.trellis'), 'infra.env');
  if (process.env.KAFKA_BROKERS || !existsSync(file)) return;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m || process.env[m[1]!] !== undefined) continue;
    process.env[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
}

interface Args {
  dryRun: boolean;
  replicationFactor: number;
  regions: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    dryRun: false,
    replicationFactor: Number(process.env.KAFKA_REPLICATION_FACTOR ?? 1),
    regions: process.env.TRELLIS_REGIONS
      ? process.env.TRELLIS_REGIONS.split(',')
      : [...DEFAULT_REGIONS],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--dry-run') args.dryRun = true;
    else if (arg === '--replication-factor') args.replicationFactor = Number(argv[++i]);
    else if (arg === '--regions') args.regions = (argv[++i] ?? '').split(',');
    else
      throw new Error(
        `unknown argument ${arg}\nusage: provision.ts [--dry-run] [--replication-factor N] [--regions a,b]`,
      );
  }
  args.regions = args.regions.map((r) => r.trim()).filter((r) => r !== '');
  if (!Number.isInteger(args.replicationFactor) || args.replicationFactor < 1) {
    throw new Error('--replication-factor must be a positive integer');
  }
  return args;
}

async function main(): Promise<void> {
  loadInfraEnv();
  const args = parseArgs(process.argv.slice(2));
  const specs = allTopics(args.regions);
  const admin = createEventBus(kafkaConfigFromEnv(process.env, 'trellis-provision')).admin();
  try {
    const existing = new Set(await admin.listTopics());
    const state = await admin.describeTopics(
      specs.map((s) => s.name).filter((n) => existing.has(n)),
    );
    const plan = planProvisioning(specs, state);
    for (const action of plan) console.log(describeAction(action));
    if (args.dryRun) {
      console.log(`dry run: ${plan.filter((a) => a.kind !== 'ok').length} change(s) not applied`);
      return;
    }
    await applyProvisioning(admin, plan, { replicationFactor: args.replicationFactor });
    const counts = plan.reduce<Record<string, number>>(
      (acc, a) => ({ ...acc, [a.kind]: (acc[a.kind] ?? 0) + 1 }),
      {},
    );
    console.log(
      `provisioned ${specs.length} topics (replication factor ${args.replicationFactor}): ` +
        Object.entries(counts)
          .map(([k, n]) => `${n} ${k}`)
          .join(', '),
    );
  } finally {
    await admin.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(`provision failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
