// Proof (issue 22): a platform whose suspension feed cannot replay (Kafka unreachable at boot)
// serves the calls the gateway vouches for. Its broker address is a TCP proxy that drops every
// connection: readiness says the feed is degraded (gateway-vouched calls only); a call without a
// vouch is refused UNAVAILABLE saying the suspension state is unknown; a vouched write commits
// with its event waiting in the outbox and a vouched read serves it; a writes-restricted vouch
// refuses writes as a restricted system's; forged, expired, misaddressed or misbound vouches are
// refused. Once the proxy forwards, the outbox drains, the feed replays and the registry decides.
import { randomUUID } from 'node:crypto';

import { status } from '@grpc/grpc-js';
import { SUSPENSION_UNKNOWN, VOUCH_HEADER, type VouchBasis } from '@trellis/auth';
import { createTestAuthority, type TestAuthority } from '@trellis/auth/testing';
import { IdentityTestServer } from '@trellis/identity-client/src/testing';
import { createEventBus, kafkaConfigFromEnv, TOPICS } from '@trellis/events';
import { bootstrapService, type ServiceHandle } from '@trellis/service-kit';
import {
  localServiceEnv,
  pollUntil,
  SwitchableBrokerProxy,
  uniqueGroupId,
  uniqueTopic,
} from '@trellis/testing';

import { createReferralsModule } from '../src/app/app.module';
import { referralsConfigSchema, type ReferralsConfig } from '../src/app/config';
import { ReferralsGrpcClient } from './support/grpc-client';
import { createTestDatabase, testNhsNumber, type TestDatabase } from './support/harness';

interface Readiness {
  status: string;
  degraded?: string[];
  checks: Record<string, { ok: boolean; degraded?: boolean; error?: string }>;
}

const SCOPES = ['system/ServiceRequest.cruds'];
const GP = { systemId: `gp-${randomUUID()}`, odsCode: 'A81001', region: 'north-east' };
const WRITES_WITHDRAWN =
  'write scopes withdrawn: the product version is under compliance enforcement';

describe('referrals: gateway-vouched calls while the suspension feed cannot replay', () => {
  const proxy = new SwitchableBrokerProxy();
  const identity = new IdentityTestServer();
  let db: TestDatabase | undefined;
  let handle: ServiceHandle<ReferralsConfig> | undefined;
  let client: ReferralsGrpcClient;
  let authority: TestAuthority;
  let token: string;
  let readyUrl: string;

  const vouch = (over: Partial<VouchBasis> = {}, target = 'referrals', at?: number) => ({
    [VOUCH_HEADER]: authority.vouch(
      target,
      {
        systemId: GP.systemId,
        accessToken: token,
        writesRestricted: false,
        admission: 'admitted',
        ...over,
      },
      at,
    ),
  });
  const sendRequest = (nhsNumber: string) => ({
    idempotencyKey: `vouch-${randomUUID()}`,
    nhsNumber,
    practitionerId: 'G8123456',
    target: { odsCode: 'RTH', region: 'south-east', specialtyCode: 'cardiology' },
    priority: 2,
    reason: { code: '29857009', display: 'Chest pain' },
    clinicalSummary: 'Exertional chest pain',
  });
  const pendingEvents = async (nhsNumber: string) =>
    (
      await db!.sql.query<{ ce_type: string; sent: boolean }>(
        `SELECT ce_type, sent_at IS NOT NULL AS sent FROM outbox_events
          WHERE key = $1 AND topic = $2 ORDER BY seq`,
        [nhsNumber, TOPICS.referralsReferral.name],
      )
    ).rows;

  beforeAll(async () => {
    const port = await proxy.listen();
    db = await createTestDatabase(10);
    await identity.start();
    authority = await createTestAuthority();
    token = await authority.issue({ scopes: SCOPES, ...GP });
    const appointmentsTopic = uniqueTopic('trellis.test.appointments');
    const identityTopic = uniqueTopic('trellis.test.identity');
    // the topics exist on the real broker: only this service's route to it is cut
    const bus = createEventBus(kafkaConfigFromEnv(process.env, 'referrals-vouch-test'));
    const admin = bus.admin();
    await admin.connect();
    await admin.createTopics([
      TOPICS.referralsReferral,
      TOPICS.gatewaySystem,
      ...Object.values(TOPICS).filter((t) => t.name === 'trellis.audit.access.v1'),
      { ...TOPICS.appointmentsAppointment, name: appointmentsTopic, partitions: 1 },
      { ...TOPICS.identityPatient, name: identityTopic, partitions: 1 },
    ]);
    await admin.disconnect();
    const { env, grpcAddress, httpPort } = await localServiceEnv('referrals', db.schema, {
      KAFKA_BROKERS: `127.0.0.1:${port}`,
      IDENTITY_GRPC_ADDR: identity.address,
      APPOINTMENTS_EVENTS_TOPIC: appointmentsTopic,
      IDENTITY_EVENTS_TOPIC: identityTopic,
      INBOUND_EVENTS_GROUP: uniqueGroupId('referrals-vouch'),
    });
    handle = await bootstrapService({
      name: 'referrals',
      // no status feed override: the real Kafka feed, behind the closed proxy
      module: createReferralsModule({
        auth: { keySet: authority.keySet, issuer: authority.issuer, audience: authority.audience },
      }),
      config: referralsConfigSchema,
      env,
      handleSignals: false,
      grpc: {
        packages: ['trellis.referrals.v1'],
        protoFiles: ['trellis/referrals/v1/referrals.proto'],
      },
    });
    handle.health.cacheMs = 0;
    client = new ReferralsGrpcClient(grpcAddress);
    readyUrl = `http://127.0.0.1:${httpPort}/health/ready`;
  });

  afterAll(async () => {
    client?.close();
    await handle?.shutdown('test done');
    await identity.stop();
    await db?.drop();
    await proxy.close();
  });

  it('boots ready but degraded: the suspension feed serves gateway-vouched calls only', async () => {
    expect(proxy.refused).toBeGreaterThan(0);
    const res = await fetch(readyUrl);
    expect(res.status).toBe(200);
    const report = (await res.json()) as Readiness;
    expect(report.status).toBe('degraded');
    expect(report.degraded).toEqual(expect.arrayContaining(['kafka', 'suspension-feed']));
    expect(report.checks['suspension-feed']?.error).toMatch(
      /^degraded \(gateway-vouched calls only\): (replaying|unreachable)/,
    );
  });

  it('refuses a call without a vouch UNAVAILABLE, saying the suspension state is unknown', async () => {
    const err = await client.fail(
      client.referrals.getReferral({ referralId: randomUUID() }, client.as(token)),
    );
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(err.message).toBe(SUSPENSION_UNKNOWN);
  });

  let sentNhs = '';
  let sentId = '';

  it('accepts a vouched write into the outbox and serves vouched reads', async () => {
    sentNhs = testNhsNumber();
    identity.add({ nhsNumber: sentNhs });
    const writeVouch = vouch();
    const sent = await client.referrals.sendReferral(
      sendRequest(sentNhs),
      client.as(token, writeVouch),
    );
    sentId = sent.referral!.id;
    expect(sent.referral!.nhsNumber).toBe(sentNhs);
    // the patient check passed the vouch on to identity (which accepts it from referrals)
    const passedOn = identity.calls.filter((c) => c.nhsNumber === sentNhs).map((c) => c.vouch);
    expect(passedOn.length).toBeGreaterThan(0);
    expect(new Set(passedOn)).toEqual(new Set([writeVouch[VOUCH_HEADER]]));
    const read = await client.referrals.getReferral(
      { referralId: sentId },
      client.as(token, vouch()),
    );
    expect(read.referral!.id).toBe(sentId);
    expect(await pendingEvents(sentNhs)).toEqual([
      { ce_type: 'uk.nhs.trellis.referrals.ReferralSent.v1', sent: false },
    ]);
  });

  it('applies a writes-restricted vouch as a restricted system: reads served, writes refused', async () => {
    const restricted = vouch({ writesRestricted: true });
    const nhsNumber = testNhsNumber();
    identity.add({ nhsNumber });
    const err = await client.fail(
      client.referrals.sendReferral(sendRequest(nhsNumber), client.as(token, restricted)),
    );
    expect(err.code).toBe(status.PERMISSION_DENIED);
    expect(err.message).toBe(WRITES_WITHDRAWN);
    const read = await client.referrals.getReferral(
      { referralId: sentId },
      client.as(token, restricted),
    );
    expect(read.referral!.id).toBe(sentId);
  });

  it('refuses forged, expired, misaddressed and misbound vouches UNAVAILABLE', async () => {
    const other = await createTestAuthority(authority.issuer);
    const forged = {
      [VOUCH_HEADER]: other.vouch('referrals', {
        systemId: GP.systemId,
        accessToken: token,
        writesRestricted: false,
        admission: 'admitted',
      }),
    };
    const otherToken = await authority.issue({ scopes: SCOPES, ...GP });
    const cases: Record<string, Record<string, string>> = {
      forged,
      expired: vouch({}, 'referrals', Date.now() - 120_000),
      'addressed to appointments': vouch({}, 'appointments'),
      'bound to another token': vouch({ accessToken: otherToken }),
      'for another system': vouch({ systemId: 'another-system' }),
      'not a vouch': { [VOUCH_HEADER]: token },
    };
    for (const [name, headers] of Object.entries(cases)) {
      const err = await client.fail(
        client.referrals.getReferral({ referralId: sentId }, client.as(token, headers)),
      );
      expect({ name, code: err.code, message: err.message }).toEqual({
        name,
        code: status.UNAVAILABLE,
        message: SUSPENSION_UNKNOWN,
      });
    }
  });

  it('drains the outbox once Kafka is reachable; then the replayed registry decides', async () => {
    proxy.open();
    await pollUntil(
      'the outbox drained',
      async () => ((await pendingEvents(sentNhs)).every((e) => e.sent) ? true : undefined),
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    await pollUntil(
      'the suspension feed replayed',
      async () =>
        (await handle!.health.report()).degraded.includes('suspension-feed') ? undefined : true,
      { timeoutMs: 180_000, intervalMs: 250 },
    );
    const read = await client.referrals.getReferral({ referralId: sentId }, client.as(token));
    expect(read.referral!.id).toBe(sentId);
  });
});
