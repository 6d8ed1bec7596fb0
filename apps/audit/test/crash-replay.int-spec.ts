import {
  createEventBus,
  dlqTopicName,
  kafkaConfigFromEnv,
  TOPICS,
  type EventBus,
  type EventPublisher,
} from '@trellis/events';
import {
  fakeNhsNumbers,
  uniqueGroupId,
  uniqueTopic,
  type ServiceProcess,
  createSchemaPool,
  spawnLocalService,
  UNUSED_AUTH_SETTINGS,
} from '@trellis/testing';

import { PrismaClient } from '../src/app/prisma';
import { AccessEventsRepository } from '../src/app/store/access-events.repository';
import { accessRecorded, until } from './support/access-events';

jest.setTimeout(240_000);

const TOTAL = 6000;

/** The audit service as `npm start` runs it: a real process on its own schema and group. */
async function startAudit(schema: string, topic: string, group: string): Promise<ServiceProcess> {
  return spawnLocalService({
    name: 'audit',
    schema,
    settings: {
      ...UNUSED_AUTH_SETTINGS,
      AUDIT_TOPICS: topic,
      AUDIT_GROUP: group,
      AUDIT_INGEST_BATCH_SIZE: '100',
    },
    onUnexpectedExit: () => undefined, // the SIGKILL below is on purpose
  });
}

describe('audit store: killed mid-stream, then replayed into an empty schema (real processes)', () => {
  const topic = uniqueTopic('trellis.test.audit-crash');
  let bus: EventBus;
  let publisher: EventPublisher;
  const pool = createSchemaPool('audit', PrismaClient);
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    bus = createEventBus(kafkaConfigFromEnv(process.env, 'audit-crash-test'));
    const admin = bus.admin();
    await admin.connect();
    await admin.createTopics([
      { ...TOPICS.auditAccess, name: topic, partitions: 6, retentionMs: 3_600_000 },
      { ...TOPICS.auditAccess, name: dlqTopicName(topic), partitions: 1, retentionMs: 3_600_000 },
      TOPICS.auditFlag,
    ]);
    await admin.disconnect();
    publisher = bus.publisher();
    await publisher.connect();
  });

  afterAll(async () => {
    for (const p of processes) if (p.running) await p.stop().catch(() => undefined);
    await publisher?.disconnect();
    await pool.release();
  });

  const schema = () => pool.schema();

  const count = async (prisma: PrismaClient) =>
    (await prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM access_events`)[0]!.n;

  /** Everything a reader can see, in a stable order (stored_at differs by nature). */
  const contents = (prisma: PrismaClient) => prisma.$queryRaw<Record<string, unknown>[]>`
    SELECT audit_id::text, recorded_at, action, outcome, outcome_description, interaction,
           system_id, ods_code, region, user_id, patient_nhs_number, resource_type, resource_id,
           source_service, trace_id, required_scope, purpose_of_use
      FROM access_events ORDER BY recorded_at, audit_id`;

  it('loses nothing, stores nothing twice, and a replay gives the same store', async () => {
    const patients = fakeNhsNumbers(40);
    const start = Date.now() - TOTAL * 1000;
    const messages = Array.from(
      { length: TOTAL },
      (_, i) =>
        accessRecorded({
          topic,
          at: new Date(start + i * 1000),
          patientNhsNumber: patients[i % patients.length]!,
          odsCode: ['Y12345', 'R1K01', 'R1K02'][i % 3]!,
        }).message,
    );
    const half = TOTAL / 2;
    for (let i = 0; i < half; i += 500) await publisher.publish(messages.slice(i, i + 500));

    const first = await schema();
    const group = uniqueGroupId('audit-crash');
    const victim = await startAudit(first.name, topic, group);
    processes.push(victim);
    await until('ingest under way', async () => (await count(first.prisma)) > 0);
    process.kill(victim.pid, 'SIGKILL');
    await victim.exited;
    const atKill = await count(first.prisma);
    // the rest of the stream arrives while the store is down
    for (let i = half; i < TOTAL; i += 500) await publisher.publish(messages.slice(i, i + 500));
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThanOrEqual(half);

    const restarted = await startAudit(first.name, topic, group);
    processes.push(restarted);
    await until('all stored after the restart', async () => (await count(first.prisma)) >= TOTAL);
    await restarted.stop();

    // replay: an empty schema, a new group reading the topic from the beginning
    const second = await schema();
    const replayer = await startAudit(second.name, topic, uniqueGroupId('audit-replay'));
    processes.push(replayer);
    await until('all stored by the replay', async () => (await count(second.prisma)) >= TOTAL);
    await replayer.stop();

    expect(await count(first.prisma)).toBe(TOTAL);
    expect(await count(second.prisma)).toBe(TOTAL);
    expect(await contents(second.prisma)).toEqual(await contents(first.prisma));
    // and the same answers to the same search
    const filter = { patientNhsNumber: patients[7]!, odsCode: 'R1K01' };
    expect(await new AccessEventsRepository(second.prisma).search(filter, 500)).toEqual(
      await new AccessEventsRepository(first.prisma).search(filter, 500),
    );
    expect(await new AccessEventsRepository(first.prisma).countUpTo(filter, 10_000)).toBe(
      TOTAL / 40 / 3,
    );
  });
});
