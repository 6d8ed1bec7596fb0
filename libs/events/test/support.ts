// Shared helpers of the @trellis/events integration suites: a fresh PostgreSQL schema with the
// event tables (this folder's prisma/ project, migrated by @trellis/database), unique Kafka topics
// and groups on the real broker, and a test-only protobuf message.
import { join } from 'node:path';
import { createPrismaClient } from '@trellis/database';
import { createTestSchema, uniqueGroupId, uniqueTopic, waitUntil } from '@trellis/testing';
import protobuf from 'protobufjs';
import {
  createEventBus,
  defineEventType,
  kafkaConfigFromEnv,
  type EventBus,
  type MessageCodec,
  type TopicSpec,
} from '../src';
import { PrismaClient } from './generated/prisma/client';

export type TestPrisma = PrismaClient;
/** The client of an interactive transaction (`tx` in `$transaction(async (tx) => …)`). */
export type TestTx = Parameters<Parameters<TestPrisma['$transaction']>[0]>[0];

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (.trellis/infra.env)`);
  return value;
}

export const uniqueGroup = (base: string): string => uniqueGroupId(base);

export interface TestDatabase {
  url: string;
  schema: string;
  prisma: TestPrisma;
  /** A new client on the same schema (e.g. for a second process-like component). */
  client(): TestPrisma;
  drop(): Promise<void>;
}

/**
 * A fresh schema (@trellis/testing createTestSchema) with this folder's migrations: the event
 * tables exactly as services copy them, plus test_effects. Dropped by drop().
 */
export async function createTestDatabase(prefix = 'events'): Promise<TestDatabase> {
  const test = await createTestSchema({ app: join(__dirname), prefix });
  const { url, schema } = test;
  const clients: TestPrisma[] = [];
  const client = (): TestPrisma => {
    const c = createPrismaClient(PrismaClient, { url, schema, poolSize: 8 });
    clients.push(c);
    return c;
  };
  const prisma = client();
  return {
    url,
    schema,
    prisma,
    client,
    async drop() {
      await Promise.all(clients.map((c) => c.$disconnect()));
      await test.drop();
    },
  };
}

/** The bus under test: the platform's (createEventBus). */
export function testBus(clientId = 'events-int-test'): EventBus {
  return createEventBus(kafkaConfigFromEnv(process.env, clientId));
}

/** Unique topic `trellis.test<suffix>.event.v1` (+ its .dlq) created with `partitions`. */
export async function createTestTopics(
  bus: EventBus,
  partitions: number,
): Promise<{ topic: string; dlq: string; remove(): Promise<void> }> {
  const topic = uniqueTopic('trellis.test.events');
  const dlq = `${topic}.dlq`;
  const specs: TopicSpec[] = [
    {
      name: topic,
      partitions,
      retentionMs: 3_600_000,
      cleanupPolicy: 'delete',
      description: 'test',
    },
    {
      name: dlq,
      partitions: 1,
      retentionMs: 3_600_000,
      cleanupPolicy: 'delete',
      description: 'test dlq',
    },
  ];
  const admin = bus.admin();
  await admin.createTopics(specs);
  await admin.disconnect();
  return {
    topic,
    dlq,
    async remove() {
      const a = bus.admin();
      await a.deleteTopics([topic, dlq]).catch(() => undefined);
      await a.disconnect();
    },
  };
}

/** Test-only protobuf message trellis.test.v1.TestEvent (real protobuf encoding via protobufjs). */
export interface TestEvent {
  nhsNumber: string;
  n: number;
  note: string;
  sentAtMs: number;
}

const root = protobuf.Root.fromJSON({
  nested: {
    trellis: {
      nested: {
        test: {
          nested: {
            v1: {
              nested: {
                TestEvent: {
                  fields: {
                    nhsNumber: { type: 'string', id: 1 },
                    n: { type: 'int32', id: 2 },
                    note: { type: 'string', id: 3 },
                    sentAtMs: { type: 'double', id: 4 },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
});
const TestEventMessage = root.lookupType('trellis.test.v1.TestEvent');

export const testEventCodec: MessageCodec<TestEvent> = {
  encode: (m) => TestEventMessage.encode(TestEventMessage.fromObject({ ...m })),
  decode: (bytes) => {
    const o = TestEventMessage.toObject(TestEventMessage.decode(bytes), { defaults: true });
    return {
      nhsNumber: String(o.nhsNumber),
      n: Number(o.n),
      note: String(o.note),
      sentAtMs: Number(o.sentAtMs),
    };
  },
};

export function testEventType(topic: string) {
  return defineEventType({
    type: 'uk.nhs.trellis.test.TestHappened.v1',
    topic,
    codec: testEventCodec,
    dataschema: 'proto:trellis.test.v1.TestEvent',
  });
}

/** Synthetic NHS numbers from the 999 test range with a valid modulus-11 check digit. */
export function testNhsNumbers(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const base = `999${String(100000 + i).padStart(6, '0')}`;
    const sum = [...base].reduce((acc, d, k) => acc + Number(d) * (10 - k), 0);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    out.push(base + String(check === 11 ? 0 : check));
  }
  return out;
}

export function waitFor(
  what: string,
  predicate: () => Promise<boolean>,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<void> {
  return waitUntil(what, predicate, { timeoutMs, intervalMs });
}
