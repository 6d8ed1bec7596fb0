// The audit store's inbox purge (real PostgreSQL, a fresh migrated schema): handled event ids
// older than the retention go, newer ones and other groups' stay, and an event redelivered after
// its id was purged is still stored once (the access rows' keys are the second guard).
import { randomUUID } from 'node:crypto';

import { createPrismaClient } from '@trellis/database';
import { toReceivedEvent } from '@trellis/events';
import { createTestSchema, fakeNhsNumbers, type TestSchema } from '@trellis/testing';

import { PrismaClient } from '../src/app/prisma';
import { AccessEventsRepository } from '../src/app/store/access-events.repository';
import { purgeInbox } from '../src/app/store/inbox-retention';
import { AccessIngest } from '../src/app/store/ingest';
import { MaintenanceRepository } from '../src/app/store/maintenance.repository';
import { maintainPartitions } from '../src/app/store/partitions';
import { accessRecorded } from './support/access-events';

const GROUP = 'trellis.audit.store';
const HOUR = 3_600_000;

describe('audit store inbox retention', () => {
  let db: TestSchema;
  let prisma: PrismaClient;

  beforeAll(async () => {
    db = await createTestSchema('audit');
    prisma = createPrismaClient(PrismaClient, { url: db.url, schema: db.schema });
    await maintainPartitions(
      new MaintenanceRepository(prisma),
      { retentionMonths: 2, ahead: 1 },
      new Date(),
    );
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  const handled = async (group: string, ageHours: number): Promise<string> => {
    const id = randomUUID();
    const at = new Date(Date.now() - ageHours * HOUR);
    await prisma.$executeRaw`
      INSERT INTO inbox_events (consumer_group, event_id, topic, partition, "offset", handled_at)
      VALUES (${group}, ${id}, 'trellis.audit.access.v1', 0, 1, ${at})`;
    return id;
  };
  const kept = async (): Promise<string[]> =>
    (
      await prisma.$queryRaw<
        { event_id: string }[]
      >`SELECT event_id FROM inbox_events ORDER BY event_id`
    ).map((r) => r.event_id);

  it("deletes only this group's ids older than the retention", async () => {
    const old = await Promise.all([200, 170, 169].map((h) => handled(GROUP, h)));
    const fresh = await Promise.all([1, 167].map((h) => handled(GROUP, h)));
    const otherGroup = await handled('another.group', 500);
    const purged = await purgeInbox(
      new MaintenanceRepository(prisma),
      GROUP,
      new Date(Date.now() - 168 * HOUR),
    );
    expect(purged).toBe(old.length);
    expect(await kept()).toEqual([...fresh, otherGroup].sort());
    expect(
      await purgeInbox(new MaintenanceRepository(prisma), GROUP, new Date(Date.now() - 168 * HOUR)),
    ).toBe(0);
  });

  it('an event redelivered after its inbox row was purged is stored once', async () => {
    const [nhs] = fakeNhsNumbers(1);
    const { message, record } = accessRecorded({
      at: new Date(),
      topic: 'trellis.audit.access.v1',
      patientNhsNumber: nhs!,
      morePatientNhsNumbers: fakeNhsNumbers(2),
    });
    const event = toReceivedEvent({ ...message, partition: 0, offset: '7' });
    const ingest = new AccessIngest(new AccessEventsRepository(prisma), {
      retentionMonths: 2,
      ahead: 1,
    });
    const rows = async () =>
      (
        await prisma.$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM access_events WHERE trace_id = ${record.traceId}`
      )[0]!.n;
    await prisma.$transaction((tx) => ingest.handleBatch([event], tx));
    expect(await rows()).toBe(3);
    // the inbox forgot it (purged): the replay delivers it again
    await prisma.$transaction((tx) => ingest.handleBatch([event], tx));
    expect(await rows()).toBe(3);
  });
});
