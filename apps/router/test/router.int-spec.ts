import { randomUUID } from 'node:crypto';

import { events } from '@trellis/contracts';
import {
  createEventBus,
  dlqTopicName,
  headerString,
  kafkaConfigFromEnv,
  regionTopicName,
  toCloudEventHeaders,
  type EventBus,
  type EventPublisher,
} from '@trellis/events';
import { bootstrapService, type ServiceHandle } from '@trellis/service-kit';
import {
  createTestSchema,
  fakeNhsNumbers,
  uniqueGroupId,
  uniqueTopic,
  type TestSchema,
  waitUntil,
  localServiceEnv,
} from '@trellis/testing';

import { RouterModule } from '../src/app/app.module';
import { routerConfigSchema, type RouterConfig } from '../src/app/config';
import { regionalEventId } from '../src/app/routing/regional-policy';

jest.setTimeout(120_000);
const E = events.v1;

const suffix = randomUUID().replace(/-/g, '').slice(0, 8);
// Fresh region codes per run, so the suite owns its regional topics.
const HOME = `ta${suffix}`;
const PROVIDER = `tb${suffix}`;
const IDLE = `tc${suffix}`;

interface Seen {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  value: Buffer;
}

describe('router: domain events → regional streams (real PostgreSQL + Kafka)', () => {
  let db: TestSchema;
  let bus: EventBus;
  let publisher: EventPublisher;
  let handle: ServiceHandle<RouterConfig>;
  const domainTopic = uniqueTopic('trellis.test.router');
  const seen: Seen[] = [];
  const stopConsumers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    db = await createTestSchema('router');
    const cfg = kafkaConfigFromEnv(process.env, 'router-int-test');
    bus = createEventBus(cfg);
    const admin = bus.admin();
    await admin.connect();
    await admin.createTopics([
      {
        name: domainTopic,
        partitions: 3,
        retentionMs: 3_600_000,
        cleanupPolicy: 'delete',
        description: 'test',
      },
      {
        name: dlqTopicName(domainTopic),
        partitions: 1,
        retentionMs: 3_600_000,
        cleanupPolicy: 'delete',
        description: 'test',
      },
      ...[HOME, PROVIDER, IDLE].map((r) => ({
        name: regionTopicName(r),
        partitions: 3,
        retentionMs: 3_600_000,
        cleanupPolicy: 'delete' as const,
        description: 'test',
      })),
    ]);
    await admin.disconnect();
    publisher = bus.publisher();
    await publisher.connect();

    const consumer = bus.consumer({
      groupId: uniqueGroupId('router-int-reader'),
      fromBeginning: true,
    });
    await consumer.run({
      topics: [HOME, PROVIDER, IDLE].map(regionTopicName),
      eachBatch: async ({ topic, partition, messages }) => {
        for (const message of messages) {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers))
            if (v !== undefined) headers[k] = headerString(v) ?? '';
          seen.push({
            topic,
            partition,
            offset: message.offset,
            key: message.key === null ? null : Buffer.from(message.key).toString(),
            headers,
            value: message.value === null ? Buffer.alloc(0) : Buffer.from(message.value),
          });
        }
      },
    });
    stopConsumers.push(() => consumer.stop());

    const { env } = await localServiceEnv('router', db.schema, {
      ROUTER_TOPICS: domainTopic,
      ROUTER_GROUP: uniqueGroupId('router'),
      TRELLIS_REGIONS: [HOME, PROVIDER, IDLE].join(','),
    });
    handle = await bootstrapService({
      name: 'router',
      module: RouterModule,
      config: routerConfigSchema,
      handleSignals: false,
      grpc: { packages: [], protoFiles: [] },
      env,
    });
  });

  afterAll(async () => {
    await handle?.shutdown('test end');
    for (const stop of stopConsumers) await stop();
    await publisher?.disconnect();
    await db?.drop();
  });

  const until = (what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> =>
    waitUntil(what, ok, { timeoutMs });

  const header = (id: string, type: string, nhs: string, region: string, regions: string[] = []) =>
    toCloudEventHeaders({
      id,
      source: type.includes('.identity.') ? '/trellis/identity' : '/trellis/referrals',
      type,
      time: '2026-11-24T00:00:00.000Z',
      subject: nhs,
      dataschema: `proto:trellis.events.v1.${type.split('.')[4]}`,
      odscode: 'A81001',
      region,
      regions,
      correlationid: 'corr-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });

  it('routes a patient event to the home region in full and a cross-region event to both regions, exactly once, in order', async () => {
    const [nhs] = fakeNhsNumbers(1) as [string];
    const registeredId = randomUUID();
    const registered = E.PatientRegistered.encode(
      E.PatientRegistered.fromPartial({
        context: { regions: [HOME] },
        patient: {
          nhsNumber: nhs,
          version: 1,
          gpOdsCode: 'A81001',
          region: HOME,
          confidentiality: 'normal',
        },
        overriddenCandidates: ['9990000018'],
      }),
    ).finish();
    const referralIds = Array.from({ length: 20 }, () => randomUUID());
    const referral = (i: number) =>
      E.ReferralAccepted.encode(
        E.ReferralAccepted.fromPartial({
          context: { regions: [HOME, PROVIDER], actor: { systemId: 'epr', userId: 'dr-x' } },
          referral: {
            referralId: 'r1',
            nhsNumber: nhs,
            referrerRegion: HOME,
            targetRegion: PROVIDER,
            priority: 'urgent',
            reasonDisplay: 'Chest pain',
            version: i + 1,
          },
          note: `note ${i}`,
        }),
      ).finish();
    await publisher.publish([
      {
        topic: domainTopic,
        key: nhs,
        value: registered,
        headers: header(registeredId, 'uk.nhs.trellis.identity.PatientRegistered.v1', nhs, HOME),
      },
      ...referralIds.map((id, i) => ({
        topic: domainTopic,
        key: nhs,
        value: referral(i),
        headers: header(id, 'uk.nhs.trellis.referrals.ReferralAccepted.v1', nhs, PROVIDER, [
          HOME,
          PROVIDER,
        ]),
      })),
    ]);
    // redelivery of the same events (same ce_id): the inbox must make it harmless
    await publisher.publish(
      referralIds.slice(0, 5).map((id, i) => ({
        topic: domainTopic,
        key: nhs,
        value: referral(i),
        headers: header(id, 'uk.nhs.trellis.referrals.ReferralAccepted.v1', nhs, PROVIDER, [
          HOME,
          PROVIDER,
        ]),
      })),
    );
    const of = (region: string) =>
      seen.filter((s) => s.topic === regionTopicName(region) && s.key === nhs);
    await until(
      '21 events on the home stream and 20 on the provider stream',
      () => of(HOME).length >= 21 && of(PROVIDER).length >= 20,
    );
    await new Promise((r) => setTimeout(r, 2000)); // anything extra (duplicates) would arrive now

    const home = of(HOME);
    const provider = of(PROVIDER);
    expect(home).toHaveLength(21);
    expect(provider).toHaveLength(20);
    expect(of(IDLE)).toHaveLength(0);

    // order: the publish order, one partition per patient
    expect(new Set(home.map((s) => s.partition)).size).toBe(1);
    expect(home.map((s) => s.headers['trellis-origin-id'])).toEqual([registeredId, ...referralIds]);
    expect(provider.map((s) => s.headers['trellis-origin-id'])).toEqual(referralIds);

    // CloudEvents attributes preserved; id derived per region
    const h = home[1]!.headers;
    expect(h).toMatchObject({
      ce_specversion: '1.0',
      ce_source: '/trellis/referrals',
      ce_type: 'uk.nhs.trellis.referrals.ReferralAccepted.v1',
      ce_time: '2026-11-24T00:00:00.000Z',
      ce_subject: nhs,
      ce_dataschema: 'proto:trellis.events.v1.ReferralAccepted',
      ce_odscode: 'A81001',
      ce_region: PROVIDER,
      ce_regions: `${HOME},${PROVIDER}`,
      ce_correlationid: 'corr-1',
      'trellis-payload': 'full',
      'trellis-origin-topic': domainTopic,
    });
    expect(h.traceparent ?? h['trellis-origin-traceparent']).toContain(
      '0af7651916cd43dd8448eb211c80319c',
    );
    expect(h.ce_id).toBe(regionalEventId(referralIds[0]!, HOME));
    expect(provider[0]!.headers.ce_id).toBe(regionalEventId(referralIds[0]!, PROVIDER));

    // payloads: full at home (bytes untouched), minimal elsewhere
    expect(Buffer.compare(home[1]!.value, Buffer.from(referral(0)))).toBe(0);
    expect(E.PatientRegistered.decode(home[0]!.value).overriddenCandidates).toEqual(['9990000018']);
    const minimal = E.ReferralAccepted.decode(provider[0]!.value);
    expect(provider[0]!.headers['trellis-payload']).toBe('minimal');
    expect(minimal.referral).toMatchObject({
      priority: 'urgent',
      reasonDisplay: '',
      referralId: 'r1',
    });
    expect(minimal.note).toBe('');
    expect(minimal.context?.actor?.userId).toBeUndefined();
  });

  it('adds the home region it learnt from identity to later events of other regions', async () => {
    const [nhs] = fakeNhsNumbers(1) as [string];
    await publisher.publish([
      {
        topic: domainTopic,
        key: nhs,
        value: E.PatientRegistered.encode(
          E.PatientRegistered.fromPartial({
            patient: { nhsNumber: nhs, version: 1, gpOdsCode: 'A81001', region: HOME },
          }),
        ).finish(),
        headers: header(randomUUID(), 'uk.nhs.trellis.identity.PatientRegistered.v1', nhs, HOME),
      },
      {
        topic: domainTopic,
        key: nhs,
        value: E.ReferralSent.encode(
          E.ReferralSent.fromPartial({
            referral: { nhsNumber: nhs, referrerRegion: PROVIDER, targetRegion: PROVIDER },
          }),
        ).finish(),
        headers: header(randomUUID(), 'uk.nhs.trellis.referrals.ReferralSent.v1', nhs, PROVIDER),
      },
    ]);
    const typesIn = (region: string) =>
      seen
        .filter((s) => s.topic === regionTopicName(region) && s.key === nhs)
        .map((s) => `${s.headers.ce_type?.split('.')[4]}/${s.headers['trellis-payload']}`);
    await until(
      'the referral on both streams',
      () => typesIn(HOME).length === 2 && typesIn(PROVIDER).length === 1,
    );
    expect(typesIn(HOME)).toEqual(['PatientRegistered/full', 'ReferralSent/full']);
    expect(typesIn(PROVIDER)).toEqual(['ReferralSent/minimal']);
  });
});
