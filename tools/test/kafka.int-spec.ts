// The local broker as the platform and a regional authority meet it: kafkajs 2.2.4 over
// SASL_PLAINTEXT SCRAM-SHA-512 against Kafka 3.9 (KRaft), topics only by provisioning, and ACLs
// (set by tools/setup/kafka.sh) that confine a principal to its own topic and consumer groups.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Admin,
  Consumer,
  Kafka,
  KafkaConfig,
  logLevel,
  Producer,
  ResourcePatternTypes,
} from 'kafkajs';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const kafkaSh = path.join(root, 'tools', 'setup', 'kafka.sh');

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (.trellis/infra.env)`);
  return v;
}

const suffix = (): string => `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;

function client(username: string, password: string, clientId: string, retries = 5): Kafka {
  const cfg: KafkaConfig = {
    clientId,
    brokers: env('KAFKA_BROKERS').split(','),
    sasl: { mechanism: 'scram-sha-512', username, password },
    ssl: false,
    logLevel: logLevel.NOTHING,
    retry: { retries, initialRetryTime: 100 },
  };
  return new Kafka(cfg);
}

const platform = (): Kafka =>
  client(env('KAFKA_SASL_USERNAME'), env('KAFKA_SASL_PASSWORD'), 'infra-test');

/** Resolves with the first message consumed from `topic`, or rejects after `ms`. */
async function firstMessage(consumer: Consumer, topic: string, ms = 30000) {
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  return new Promise<{ key: string; value: string; headers: Record<string, string> }>(
    (resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no message on ${topic} within ${ms} ms`)),
        ms,
      );
      // kafkajs reports a failed group join (e.g. GROUP_AUTHORIZATION_FAILED) as a crash event.
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        clearTimeout(timer);
        reject(payload.error);
      });
      void consumer
        .run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer);
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
            resolve({ key: String(message.key), value: String(message.value), headers });
          },
        })
        .catch(reject);
    },
  );
}

describe('local Kafka (SASL SCRAM-SHA-512, ACLs) with kafkajs', () => {
  const topic = `infra.test.${suffix()}`;
  let admin: Admin;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    admin = platform().admin();
    await admin.connect();
  });

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('lets the platform principal create a topic, produce and consume with headers', async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toHaveLength(1);
    expect(cluster.brokers[0]).toMatchObject({ host: '127.0.0.1', port: 9092 });

    await expect(
      admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }),
    ).resolves.toBe(true);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0].partitions).toHaveLength(3);

    const producer: Producer = platform().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const value = `hello ${suffix()}`;
    const [ack] = await producer.send({
      topic,
      acks: -1,
      messages: [{ key: '9990000018', value, headers: { ce_type: 'uk.nhs.trellis.test.v1' } }],
    });
    expect(ack.errorCode).toBe(0);

    const consumer = platform().consumer({ groupId: `infra-test-${suffix()}` });
    cleanups.push(() => consumer.disconnect());
    const got = await firstMessage(consumer, topic);
    expect(got).toEqual({
      key: '9990000018',
      value,
      headers: { ce_type: 'uk.nhs.trellis.test.v1' },
    });
  });

  it('never creates a topic implicitly (auto.create.topics.enable=false)', async () => {
    const missing = `infra.test.missing.${suffix()}`;
    const producer = platform().producer({ retry: { retries: 1, initialRetryTime: 100 } });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    await expect(producer.send({ topic: missing, messages: [{ value: 'x' }] })).rejects.toThrow(
      /does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION|unknown topic/i,
    );
    expect(await admin.listTopics()).not.toContain(missing);
  });

  it('refuses a wrong password', async () => {
    const bad = client(env('KAFKA_SASL_USERNAME'), 'not-the-password', 'infra-test-bad', 0).admin();
    await expect(bad.connect()).rejects.toThrow(
      /SASL SCRAM SHA512 authentication failed|Authentication failed/i,
    );
    await bad.disconnect();
  });

  it('confines a principal created by kafka.sh to its topic and consumer groups', async () => {
    const user = `authority-${suffix()}`;
    const password = randomBytes(16).toString('hex');
    const other = `infra.test.other.${suffix()}`;
    const groupPrefix = `${user}.`;
    await admin.createTopics({ topics: [{ topic: other }], waitForLeaders: true });
    cleanups.push(() => admin.deleteTopics({ topics: [other] }));

    await run('bash', [kafkaSh, 'create-user', user, password]);
    cleanups.push(() => run('bash', [kafkaSh, 'delete-user', user]));
    await run('bash', [kafkaSh, 'acl', 'grant-read', user, topic, groupPrefix]);
    cleanups.push(() =>
      admin.deleteAcls({
        filters: [
          {
            resourceType: AclResourceTypes.ANY,
            resourcePatternType: ResourcePatternTypes.ANY,
            principal: `User:${user}`,
            operation: AclOperationTypes.ANY,
            permissionType: AclPermissionTypes.ANY,
          },
        ],
      }),
    );

    const acls = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      principal: `User:${user}`,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    // kafkajs's runtime enums are plain name → number maps: compare by value.
    const { GROUP, TOPIC } = AclResourceTypes;
    const { LITERAL, PREFIXED } = ResourcePatternTypes;
    const { READ, DESCRIBE } = AclOperationTypes;
    const granted = acls.resources
      .flatMap((r) =>
        r.acls.map((a) =>
          [r.resourceType, r.resourceName, r.resourcePatternType, a.operation].join(' '),
        ),
      )
      .sort();
    expect(granted).toEqual(
      [
        [GROUP, groupPrefix, PREFIXED, READ].join(' '),
        [GROUP, groupPrefix, PREFIXED, DESCRIBE].join(' '),
        [TOPIC, topic, LITERAL, READ].join(' '),
        [TOPIC, topic, LITERAL, DESCRIBE].join(' '),
      ].sort(),
    );

    const authority = client(user, password, 'infra-test-authority', 0);
    // It reads its own topic with a group under its prefix (the message from the first test).
    const consumer = authority.consumer({ groupId: `${groupPrefix}reader` });
    cleanups.push(() => consumer.disconnect());
    const got = await firstMessage(consumer, topic);
    expect(got.key).toBe('9990000018');

    // It sees only the topic it may describe, and cannot read another one or write anywhere.
    const aAdmin = authority.admin();
    await aAdmin.connect();
    cleanups.push(() => aAdmin.disconnect());
    const visible = await aAdmin.listTopics();
    expect(visible).toContain(topic);
    expect(visible).not.toContain(other);
    await expect(aAdmin.fetchTopicMetadata({ topics: [other] })).rejects.toThrow(/not authorized/i);

    const aProducer = authority.producer({ retry: { retries: 0 } });
    await aProducer.connect();
    cleanups.push(() => aProducer.disconnect());
    await expect(aProducer.send({ topic, messages: [{ value: 'forged' }] })).rejects.toThrow(
      /not authorized/i,
    );

    // A group outside its prefix is refused too. kafkajs surfaces only "Failed to find group
    // coordinator"; the broker's reason is in its debug log, which we capture.
    const seen: string[] = [];
    const strayClient = new Kafka({
      clientId: 'infra-test-stray',
      brokers: env('KAFKA_BROKERS').split(','),
      sasl: { mechanism: 'scram-sha-512', username: user, password },
      retry: { retries: 0 },
      logLevel: logLevel.DEBUG,
      logCreator: () => (entry) => {
        const err: unknown = entry.log['error'];
        if (err !== undefined) seen.push(String(err instanceof Error ? err.message : err));
      },
    });
    const stray = strayClient.consumer({
      groupId: `someone-else-${suffix()}`,
      retry: { retries: 0 },
    });
    cleanups.push(() => stray.disconnect());
    await expect(firstMessage(stray, topic, 15000)).rejects.toThrow(/group coordinator/i);
    expect(seen.some((m) => /not authorized to access group/i.test(m))).toBe(true);

    // Wrong password for a real principal is refused.
    const wrong = client(user, `${password}x`, 'infra-test-authority-bad', 0).admin();
    await expect(wrong.connect()).rejects.toThrow(/authentication failed/i);
    await wrong.disconnect();
    expect(readFileSync(path.join(root, '.trellis', 'infra.env'), 'utf8')).not.toContain(password);
  });
});
