// An inbox consumer in its own process, for the crash proofs. Env: DATABASE_URL, EVENTS_SCHEMA,
// KAFKA_*, TOPIC, GROUP, HANG_AFTER (after that many events' transactions committed, before their
// offsets are committed: print "HANG <event id>" and hang, so the test can SIGKILL it there).
// Prints "DUP <event id>" for each redelivered event the inbox recognised.
import { createPrismaClient } from '@trellis/database';
import { createInboxConsumer } from '../../src';
import { PrismaClient } from '../generated/prisma/client';
import { requireEnv, testBus, testEventType } from '../support';

async function main(): Promise<void> {
  const hangAfter = Number(process.env.HANG_AFTER ?? 0);
  const topic = requireEnv('TOPIC');
  const Happened = testEventType(topic);
  const prisma = createPrismaClient(PrismaClient, {
    url: requireEnv('DATABASE_URL'),
    schema: requireEnv('EVENTS_SCHEMA'),
    poolSize: 4,
  });
  let committed = 0;
  const consumer = createInboxConsumer({
    bus: testBus('events-consumer-child'),
    groupId: requireEnv('GROUP'),
    topics: [topic],
    prisma,
    concurrency: 3,
    sessionTimeoutMs: 6_000,
    handle: async (event, tx) => {
      const data = event.decode(Happened);
      await tx.$executeRaw`
        INSERT INTO test_effects (event_id, key, n, partition, "offset", pid)
        VALUES (${event.id}, ${data.nhsNumber}, ${data.n}, ${event.partition},
                ${event.offset}::bigint, ${process.pid})`;
    },
    afterTransaction: async (event, outcome) => {
      if (outcome === 'duplicate') process.stdout.write(`DUP ${event.id}\n`);
      committed += 1;
      if (committed === hangAfter) {
        process.stdout.write(`HANG ${event.id}\n`);
        await new Promise(() => undefined);
      }
    },
  });
  await consumer.start();
  process.stdout.write('STARTED\n');
  process.on('SIGTERM', () => {
    void consumer
      .stop()
      .then(() => prisma.$disconnect())
      .then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
