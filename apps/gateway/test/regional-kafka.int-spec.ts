// Issue 18, Kafka side: a regional authority client created through the regional API gets its
// Kafka principal (SCRAM-SHA-512 user + ACLs) by the gateway's admin calls, with no shell step; the
// real broker then lets it read its region's stream with a region-<region>.* group, and nothing
// else (another region's stream, a group outside the prefix).
import { randomUUID } from 'node:crypto';

import { createPlatformaticEventBus, kafkaConfigFromEnv, type EventBus } from '@trellis/events';
import { exportJWK, generateKeyPair } from 'jose';

import { RegionPrincipals } from '../src/app/regions/region-principals';
import { regionalGrpc } from './support/regional-client';
import {
  createTopics,
  deleteTopics,
  getToken,
  registerClient,
  startGateway,
  type GatewayUnderTest,
} from './support/harness';

jest.setTimeout(180_000);

const NE = 'north-east';

describe('regional authority clients and their Kafka principals', () => {
  let gw: GatewayUnderTest;
  let prefix: string;
  let topics: { ne: string; london: string };
  const tokens = {} as Record<'ne' | 'london', string>;
  const created: string[] = [];

  beforeAll(async () => {
    prefix = `trellis.rk${randomUUID().slice(0, 8)}.`;
    topics = { ne: `${prefix}north-east.v1`, london: `${prefix}london.v1` };
    await createTopics([{ name: topics.ne }, { name: topics.london }]);
    gw = await startGateway({ GATEWAY_REGION_TOPIC_PREFIX: prefix });
    for (const [k, region, ods] of [
      ['ne', NE, 'YRA01'],
      ['london', 'london', 'YRA06'],
    ] as const) {
      const scope = `region/${region}/systems.write`;
      const c = await registerClient(gw, { scopes: [scope], odsCode: ods, region });
      tokens[k] = await getToken(gw, c, scope);
    }
    // something on each stream for the principal to read (or be refused)
    const bus = platform();
    const publisher = bus.publisher();
    await publisher.connect();
    await publisher.publish([
      { topic: topics.ne, key: 'k', value: Buffer.from('north-east event'), headers: {} },
      { topic: topics.london, key: 'k', value: Buffer.from('london event'), headers: {} },
    ]);
    await publisher.disconnect();
  });

  afterAll(async () => {
    const principals = gw?.handle.app.get(RegionPrincipals);
    for (const id of created) await principals?.revoke(NE, id).catch(() => undefined);
    await gw?.stop();
    await deleteTopics([topics.ne, topics.london]);
  });

  function platform(sasl?: { username: string; password: string }): EventBus {
    const base = kafkaConfigFromEnv(process.env, `regional-kafka-${randomUUID().slice(0, 6)}`);
    return createPlatformaticEventBus(
      sasl && base.sasl ? { ...base, sasl: { ...base.sasl, ...sasl } } : base,
    );
  }

  async function create(who: 'ne' | 'london', region: string, body: Record<string, unknown>) {
    const res = await fetch(`${gw.baseUrl}/admin/v1/regions/${region}/authority-clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** Whether a consumer with these credentials reads `want` from a topic, or its refusal. */
  async function readAs(
    sasl: { username: string; password: string },
    topic: string,
    groupId: string,
    want = 'north-east event',
  ): Promise<string> {
    const consumer = platform(sasl).consumer({ groupId, fromBeginning: true });
    const seen: string[] = [];
    try {
      await consumer.run({
        topics: [topic],
        eachBatch: async (batch) => {
          seen.push(...batch.messages.map((m) => m.value?.toString() ?? ''));
        },
      });
      const end = Date.now() + 60_000;
      while (!seen.includes(want) && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
      return seen.includes(want) ? want : `not read (${seen.length} other messages)`;
    } catch (err) {
      return `refused: ${String(err)}`;
    } finally {
      await consumer.stop().catch(() => undefined);
    }
  }

  it('north-east creates its authority client; the broker lets it read its stream and nothing else', async () => {
    const { publicKey } = await generateKeyPair('ES384');
    const jwks = {
      keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES384', use: 'sig' }],
    };
    const r = await create('ne', NE, {
      name: 'North East analytics',
      odsCode: 'YRA01',
      jwks,
      scopes: ['region/north-east/systems.read', 'system/MeasureReport.rs'],
    });
    expect(r.status).toBe(201);
    const client = r.body['client'] as { id: string; region: string; allowedScopes: string[] };
    created.push(client.id);
    const kafka = r.body['kafka'] as {
      principal: string;
      topic: string;
      groupPrefix: string;
      password: string;
      managedBy: string;
    };
    expect(kafka).toMatchObject({
      principal: `region-north-east.${client.id}`,
      topic: topics.ne,
      groupPrefix: 'region-north-east.',
      managedBy: 'kafka',
    });
    expect(kafka.password.length).toBeGreaterThanOrEqual(24);

    const sasl = { username: kafka.principal, password: kafka.password };
    const tag = randomUUID().slice(0, 8);
    expect(await readAs(sasl, topics.ne, `region-north-east.${tag}`)).toBe('north-east event');
    expect(await readAs(sasl, topics.london, `region-north-east.${tag}-l`, 'london event')).toMatch(
      /^refused/,
    );
    expect(await readAs(sasl, topics.ne, `other-${tag}`)).toMatch(/^refused/);
    // a wrong password is no principal at all
    expect(
      await readAs(
        { ...sasl, password: 'not-the-password' },
        topics.ne,
        `region-north-east.${tag}-x`,
      ),
    ).toMatch(/^refused/);
  });

  it('withdrawing a client: its principal can no longer read the stream; region-bound; retryable', async () => {
    const { publicKey } = await generateKeyPair('ES384');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k3', alg: 'ES384' }] };
    const r = await create('ne', NE, {
      name: 'North East withdrawn',
      odsCode: 'YRA01',
      jwks,
      scopes: ['region/north-east/systems.read'],
    });
    expect(r.status).toBe(201);
    const id = (r.body['client'] as { id: string }).id;
    created.push(id);
    const kafka = r.body['kafka'] as { principal: string; password: string };
    const sasl = { username: kafka.principal, password: kafka.password };
    const tag = randomUUID().slice(0, 8);
    expect(await readAs(sasl, topics.ne, `region-north-east.${tag}-a`)).toBe('north-east event');

    const revoke = async (who: 'ne' | 'london', region: string, body: unknown) => {
      const res = await fetch(
        `${gw.baseUrl}/admin/v1/regions/${region}/authority-clients/${id}/revoke`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        },
      );
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const reason = 'analytics contract ended';
    expect((await revoke('london', NE, { reason })).status).toBe(403);
    expect((await revoke('london', 'london', { reason })).status).toBe(404);
    expect((await revoke('ne', NE, {})).status).toBe(400);
    // still able to read: nothing was withdrawn by the refused calls
    expect(await readAs(sasl, topics.ne, `region-north-east.${tag}-b`)).toBe('north-east event');

    const done = await revoke('ne', NE, { reason });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      client: { id, status: 'suspended', suspensionReason: reason },
      nationalOverride: false,
      principal: kafka.principal,
    });
    expect(await readAs(sasl, topics.ne, `region-north-east.${tag}-c`)).toMatch(/^refused/);
    // the retry (broker unavailable the first time) answers the same and changes nothing else
    expect((await revoke('ne', NE, { reason })).body).toMatchObject({
      client: { id, status: 'suspended' },
    });
  });

  it('re-keying a client: the new password reads the stream, the old one is refused; another region may not', async () => {
    const { publicKey } = await generateKeyPair('ES384');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k4', alg: 'ES384' }] };
    const r = await create('ne', NE, {
      name: 'North East rekeyed',
      odsCode: 'YRA01',
      jwks,
      scopes: ['region/north-east/systems.read'],
    });
    expect(r.status).toBe(201);
    const id = (r.body['client'] as { id: string }).id;
    created.push(id);
    const first = r.body['kafka'] as { principal: string; password: string };
    const rekey = (who: 'ne' | 'london') =>
      fetch(`${gw.baseUrl}/admin/v1/regions/${NE}/authority-clients/${id}/kafka-credentials`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[who]}` },
      });
    expect((await rekey('london')).status).toBe(403);
    const res = await rekey('ne');
    expect(res.status).toBe(200);
    const next = ((await res.json()) as { kafka: { password: string; managedBy: string } }).kafka;
    expect(next.managedBy).toBe('kafka');
    expect(next.password).not.toBe(first.password);
    const tag = randomUUID().slice(0, 8);
    const as = (password: string) => ({ username: first.principal, password });
    expect(await readAs(as(next.password), topics.ne, `region-north-east.${tag}-n`)).toBe(
      'north-east event',
    );
    expect(await readAs(as(first.password), topics.ne, `region-north-east.${tag}-o`)).toMatch(
      /^refused/,
    );
  });

  it('the gRPC door: RekeyRegionAuthorityClient; the old password is refused, the new one reads; listed with its principal', async () => {
    const grpc = regionalGrpc(gw.grpcAddress);
    try {
      const { publicKey } = await generateKeyPair('ES384');
      const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k5', alg: 'ES384' }] };
      const made = await grpc.answer(tokens.ne, (c) =>
        c.createRegionAuthorityClient({
          region: NE,
          name: 'North East rekeyed over gRPC',
          odsCode: 'YRA01',
          keys: { jwksJson: JSON.stringify(jwks) },
          scopes: ['region/north-east/systems.read'],
        }),
      );
      if (!made.ok) throw made.error;
      const id = made.body.client!.id;
      created.push(id);
      const first = made.body.kafka!;
      expect(
        await grpc.answer(tokens.london, (c) => c.rekeyRegionAuthorityClient({ region: NE, id })),
      ).toMatchObject({ ok: false, status: 'PERMISSION_DENIED' });
      const r = await grpc.answer(tokens.ne, (c) =>
        c.rekeyRegionAuthorityClient({ region: NE, id }),
      );
      if (!r.ok) throw r.error;
      const kafka = r.body.kafka!;
      expect(kafka).toMatchObject({ principal: first.principal, managedBy: 'kafka' });
      expect(kafka.password).not.toBe(first.password);
      const tag = randomUUID().slice(0, 8);
      const as = (password: string) => ({ username: first.principal, password });
      expect(await readAs(as(kafka.password), topics.ne, `region-north-east.${tag}-gn`)).toBe(
        'north-east event',
      );
      expect(await readAs(as(first.password), topics.ne, `region-north-east.${tag}-go`)).toMatch(
        /^refused/,
      );
      // listed with its principal (the newest: the last page of the region's listing)
      let principal: string | undefined;
      let token = '';
      do {
        const listed = await grpc.answer(tokens.ne, (c) =>
          c.listRegionAuthorityClients({ region: NE, page: { pageSize: 200, pageToken: token } }),
        );
        if (!listed.ok) throw listed.error;
        principal ??= listed.body.clients.find((c) => c.client!.id === id)?.principal;
        token = listed.body.page!.nextPageToken;
      } while (token && !principal);
      expect(principal).toBe(first.principal);
      // withdrawn: no re-key brings its principal back (both doors refuse, nothing is written)
      const revoked = await grpc.answer(tokens.ne, (c) =>
        c.revokeRegionAuthorityClient({ region: NE, id, reason: 'contract ended' }),
      );
      expect(revoked.ok).toBe(true);
      expect(
        await grpc.answer(tokens.ne, (c) => c.rekeyRegionAuthorityClient({ region: NE, id })),
      ).toMatchObject({ ok: false, status: 'FAILED_PRECONDITION' });
      const rest = await fetch(
        `${gw.baseUrl}/admin/v1/regions/${NE}/authority-clients/${id}/kafka-credentials`,
        { method: 'POST', headers: { authorization: `Bearer ${tokens.ne}` } },
      );
      await rest.text();
      expect(rest.status).toBe(422);
      expect(await readAs(as(kafka.password), topics.ne, `region-north-east.${tag}-gw`)).toMatch(
        /^refused/,
      );
    } finally {
      grpc.close();
    }
  });

  it('the gRPC door: CreateRegionAuthorityClient answers the client and its principal; another region refused', async () => {
    const grpc = regionalGrpc(gw.grpcAddress);
    try {
      const { publicKey } = await generateKeyPair('ES384');
      const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k2', alg: 'ES384' }] };
      const req = {
        region: NE,
        name: 'North East console',
        odsCode: 'YRA01',
        keys: { jwksJson: JSON.stringify(jwks) },
        scopes: ['region/north-east/audit.read', 'system/AuditEvent.s'],
      };
      const r = await grpc.answer(tokens.ne, (c) => c.createRegionAuthorityClient(req));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const client = r.body.client!;
      const kafka = r.body.kafka!;
      created.push(client.id);
      expect(kafka).toMatchObject({
        principal: `region-north-east.${client.id}`,
        managedBy: 'kafka',
      });
      expect(kafka.password.length).toBeGreaterThanOrEqual(24);
      expect(
        await grpc.answer(tokens.london, (c) => c.createRegionAuthorityClient(req)),
      ).toMatchObject({
        ok: false,
        status: 'PERMISSION_DENIED',
      });
      // withdrawn on the same door: refused for london and without a reason, then done
      const revoke = { region: NE, id: client.id, reason: 'console retired' };
      expect(
        await grpc.answer(tokens.london, (c) => c.revokeRegionAuthorityClient(revoke)),
      ).toMatchObject({
        ok: false,
        status: 'PERMISSION_DENIED',
      });
      expect(
        await grpc.answer(tokens.ne, (c) =>
          c.revokeRegionAuthorityClient({ ...revoke, reason: ' ' }),
        ),
      ).toMatchObject({ ok: false, status: 'INVALID_ARGUMENT' });
      const sasl = { username: kafka.principal, password: kafka.password };
      const w = await grpc.answer(tokens.ne, (c) => c.revokeRegionAuthorityClient(revoke));
      expect(w).toMatchObject({
        ok: true,
        body: { client: { status: 2 /* SYSTEM_STATUS_SUSPENDED */ }, principal: sasl.username },
      });
      const tag = randomUUID().slice(0, 8);
      expect(await readAs(sasl, topics.ne, `region-north-east.${tag}-g`)).toMatch(/^refused/);
    } finally {
      grpc.close();
    }
  });

  it("refused: another region's authority, scopes of another region, a non-authority organisation", async () => {
    const base = { name: 'Client', jwks: { keys: [] }, scopes: ['region/north-east/systems.read'] };
    expect((await create('london', NE, { ...base, odsCode: 'YRA01' })).status).toBe(403);
    expect(
      (
        await create('ne', NE, {
          ...base,
          odsCode: 'YRA01',
          scopes: ['region/london/systems.read'],
        })
      ).status,
    ).toBe(400);
    expect(
      (await create('ne', NE, { ...base, odsCode: 'YRA01', scopes: ['system/Patient.rs'] })).status,
    ).toBe(400);
    expect((await create('ne', NE, { ...base, odsCode: 'A81001' })).status).toBe(400);
  });
});
