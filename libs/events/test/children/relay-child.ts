// A relay in its own process, for the crash proofs. Env: DATABASE_URL, EVENTS_SCHEMA, KAFKA_*,
// RELAY_BATCH_SIZE, HANG_AT_BATCH (after publishing that batch to Kafka and before marking it
// sent: print "HANG <size>" and hang, so the test can SIGKILL the process exactly there).
import { createOutboxRelay } from '../../src';
import { requireEnv, testBus } from '../support';

async function main(): Promise<void> {
  const hangAt = Number(process.env.HANG_AT_BATCH ?? 0);
  const bus = testBus('events-relay-child');
  const publisher = bus.publisher();
  const relay = createOutboxRelay({
    databaseUrl: requireEnv('DATABASE_URL'),
    schema: requireEnv('EVENTS_SCHEMA'),
    publisher,
    batchSize: Number(process.env.RELAY_BATCH_SIZE ?? 200),
    leaderRetryMs: 200,
    afterPublish: async ({ size, batches }) => {
      if (batches === hangAt) {
        process.stdout.write(`HANG ${size}\n`);
        await new Promise(() => undefined);
      }
    },
  });
  await relay.start();
  process.stdout.write('STARTED\n');
  const stop = async (): Promise<void> => {
    await relay.stop({ flush: true });
    await publisher.disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
