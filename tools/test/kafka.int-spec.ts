// The local broker as the platform and a regional authority meet it: the events port
// (@trellis/events, @platformatic/kafka) over SASL_PLAINTEXT SCRAM-SHA-512 against Kafka in KRaft
// mode, topics only by provisioning, and ACLs (set by tools/setup/kafka.sh) that confine a
// principal to its own topic and consumer groups. ACLs and the cluster's brokers are read with
// the client's own admin: the port has no ACL calls (services never need them).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import {
  AclOperations,
  AclPermissionTypes,
  Admin,
  ResourcePatternTypes,
  ResourceTypes,
} from '@platformatic/kafka';
import {
  createEventBus,
  headerString,
  kafkaConfigFromEnv,
  type EventAdmin,
  type EventBus,
  type EventConsumer,
  type TopicSpec,
} from '@trellis/events';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const kafkaSh = path.join(root, 'tools', 'setup', 'kafka.sh');

const suffix = (): string => `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;

function as(username: string, password: string, clientId: string): EventBus {
  const cfg = kafkaConfigFromEnv(process.env, clientId);
  return createEventBus({ ...cfg, sasl: { mechanism: 'scram-sha-512', username, password } });
}

const platform = (): EventBus => createEventBus(kafkaConfigFromEnv(process.env, 'infra-test'));

const topicSpec = (name: string, partitions = 3): TopicSpec => ({
  name,
  partitions,
  retentionMs: 3_600_000,
  cleanupPolicy: 'delete',
  description: 'infra test',
});

/** Resolves with the first message consumed from `topic`; rejects when the join fails or after `ms`. */
async function firstMessage(consumer: EventConsumer, topic: string, ms = 60_000) {
  return new Promise<{ key: string; value: string; headers: Record<string, string> }>(
    (resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no message on ${topic} within ${ms} ms`)),
        ms,
      );
      consumer
        .run({
          topics: [topic],
          eachBatch: async ({ messages }) => {
            const [m] = messages;
            if (!m) return;
            clearTimeout(timer);
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(m.headers)) headers[k] = headerString(v) ?? '';
            resolve({
              key: Buffer.from(m.key ?? []).toString(),
              value: Buffer.from(m.value ?? []).toString(),
              headers,
            });
          },
        })
        .catch((e: unknown) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        });
    },
  );
}

const errorText = (e: unknown): string => {
  const parts: string[] = [];
  const walk = (x: unknown): void => {
    if (x instanceof Error) {
      parts.push(x.message);
      const { errors, cause } = x as Error & { errors?: unknown[]; cause?: unknown };
      for (const inner of errors ?? []) walk(inner);
      if (cause) walk(cause);
    } else parts.push(String(x));
  };
  walk(e);
  return parts.join(' | ');
};

/** The rejection's message and every nested error's (the client wraps retries in MultipleErrors). */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return errorText(e);
  }
  throw new Error('expected a failure');
}

describe('local Kafka (SASL SCRAM-SHA-512, ACLs) through the events port', () => {
  const topic = `infra.test.${suffix()}`;
  let admin: EventAdmin;
  let acls: Admin;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(() => {
    admin = platform().admin();
    const cfg = kafkaConfigFromEnv(process.env, 'infra-test-acls');
    acls = new Admin({
      clientId: cfg.clientId,
      bootstrapBrokers: cfg.brokers,
      sasl: {
        mechanism: 'SCRAM-SHA-512',
        username: cfg.sasl!.username,
        password: cfg.sasl!.password,
      },
    });
  });

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await admin.deleteTopics([topic]).catch(() => undefined);
    await admin.disconnect();
    await acls.close();
  });

  it('lets the platform principal create a topic, produce and consume with headers', async () => {
    const meta = await acls.metadata({ topics: [] });
    expect([...meta.brokers.values()]).toEqual([
      expect.objectContaining({
        host: '127.0.0.1',
        port: Number(process.env.KAFKA_BROKERS!.split(':')[1]),
      }),
    ]);

    await admin.createTopics([topicSpec(topic)]);
    expect((await admin.describeTopics([topic]))[0]).toMatchObject({ partitions: 3 });

    const producer = platform().publisher();
    cleanups.push(() => producer.disconnect());
    const value = `hello ${suffix()}`;
    await producer.publish([
      {
        topic,
        key: '9990000018',
        value: Buffer.from(value),
        headers: { ce_type: 'uk.nhs.trellis.test.v1' },
      },
    ]);

    const consumer = platform().consumer({ groupId: `infra-test-${suffix()}` });
    cleanups.push(() => consumer.stop());
    const got = await firstMessage(consumer, topic);
    expect(got).toEqual({
      key: '9990000018',
      value,
      headers: { ce_type: 'uk.nhs.trellis.test.v1' },
    });
  });

  it('never creates a topic implicitly (auto.create.topics.enable=false)', async () => {
    const missing = `infra.test.missing.${suffix()}`;
    const producer = platform().publisher();
    cleanups.push(() => producer.disconnect());
    expect(
      await failure(
        producer.publish([{ topic: missing, key: null, value: Buffer.from('x'), headers: {} }]),
      ),
    ).toMatch(/UNKNOWN_TOPIC_OR_PARTITION|unknown topic|does not host this topic-partition/i);
    expect(await admin.listTopics()).not.toContain(missing);
  });

  it('refuses a wrong password', async () => {
    const bad = as(process.env.KAFKA_SASL_USERNAME!, 'not-the-password', 'infra-test-bad').admin();
    expect(await failure(bad.connect())).toMatch(/authentication failed|SASL/i);
    await bad.disconnect();
  });

  it('confines a principal created by kafka.sh to its topic and consumer groups', async () => {
    const user = `authority-${suffix()}`;
    const password = randomBytes(16).toString('hex');
    const other = `infra.test.other.${suffix()}`;
    const groupPrefix = `${user}.`;
    await admin.createTopics([topicSpec(other, 1)]);
    cleanups.push(() => admin.deleteTopics([other]));

    await run('bash', [kafkaSh, 'create-user', user, password]);
    cleanups.push(() => run('bash', [kafkaSh, 'delete-user', user]));
    await run('bash', [kafkaSh, 'acl', 'grant-read', user, topic, groupPrefix]);
    const mine = {
      resourceType: ResourceTypes.ANY,
      resourceName: null,
      resourcePatternType: ResourcePatternTypes.ANY,
      principal: `User:${user}`,
      host: null,
      operation: AclOperations.ANY,
      permissionType: AclPermissionTypes.ANY,
    };
    cleanups.push(() => acls.deleteAcls({ filters: [mine] }));

    const granted = (await acls.describeAcls({ filter: mine }))
      .flatMap((r) =>
        r.acls.map((a) =>
          [r.resourceType, r.resourceName, r.resourcePatternType, a.operation].join(' '),
        ),
      )
      .sort();
    const { GROUP, TOPIC } = ResourceTypes;
    const { LITERAL, PREFIXED } = ResourcePatternTypes;
    const { READ, DESCRIBE } = AclOperations;
    expect(granted).toEqual(
      [
        [GROUP, groupPrefix, PREFIXED, READ].join(' '),
        [GROUP, groupPrefix, PREFIXED, DESCRIBE].join(' '),
        [TOPIC, topic, LITERAL, READ].join(' '),
        [TOPIC, topic, LITERAL, DESCRIBE].join(' '),
      ].sort(),
    );

    const authority = as(user, password, 'infra-test-authority');
    // It reads its own topic with a group under its prefix (the message from the first test).
    const consumer = authority.consumer({ groupId: `${groupPrefix}reader` });
    cleanups.push(() => consumer.stop());
    const got = await firstMessage(consumer, topic);
    expect(got.key).toBe('9990000018');

    // It sees only the topic it may describe, and cannot read another one or write anywhere.
    const aAdmin = authority.admin();
    cleanups.push(() => aAdmin.disconnect());
    const visible = await aAdmin.listTopics();
    expect(visible).toContain(topic);
    expect(visible).not.toContain(other);
    expect(await failure(aAdmin.describeTopics([other]))).toMatch(/authoriz/i);

    const aProducer = authority.publisher({ idempotent: false });
    cleanups.push(() => aProducer.disconnect());
    expect(
      await failure(
        aProducer.publish([{ topic, key: null, value: Buffer.from('forged'), headers: {} }]),
      ),
    ).toMatch(/authoriz/i);

    // A group outside its prefix is refused too, with the broker's reason.
    const stray = authority.consumer({ groupId: `someone-else-${suffix()}` });
    cleanups.push(() => stray.stop());
    expect(await failure(firstMessage(stray, topic, 60_000))).toMatch(
      /group authorization failed/i,
    );

    // Wrong password for a real principal is refused.
    const wrong = as(user, `${password}x`, 'infra-test-authority-bad').admin();
    expect(await failure(wrong.connect())).toMatch(/authentication failed|SASL/i);
    await wrong.disconnect();
    expect(readFileSync(path.join(root, '.trellis', 'infra.env'), 'utf8')).not.toContain(password);
  });
});
