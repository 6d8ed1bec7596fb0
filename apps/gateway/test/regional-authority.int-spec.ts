// Regional digital authorities (issue 18): every regional operation (list, suspend, reinstate, a
// lifecycle move, the lifecycle history, declaring and showing the region's requirements, the
// certificates read, the authority clients' listing, creation, Kafka re-key and withdrawal, and
// the region's stream health)
// × (own region's authority, another region's authority, national operator, local system) on
// both doors (gRPC RegionalAuthorityService and the /admin/v1/regions JSON door): exactly the
// own-region and national cells succeed. Each act is on the region's stream and in the access
// audit; a suspension stops the suspended system's calls through the suspension feed;
// registration keeps region scopes to authorities of that region.
import { randomUUID } from 'node:crypto';

import { REGION_ACTIONS } from '@trellis/auth';
import { events } from '@trellis/contracts';
import { organisationByOdsCode } from '@trellis/service-kit';
import { exportJWK, generateKeyPair } from 'jose';

import { RegionPrincipals } from '../src/app/regions/region-principals';

import { SystemsService } from '../src/app/systems/systems.service';
import {
  BOOTSTRAP_CALLER,
  collect,
  createTopics,
  deleteTopics,
  getToken,
  kafka,
  registerClient,
  requestToken,
  assertion,
  startGateway,
  waitFor,
  type GatewayUnderTest,
  type TestClient,
} from './support/harness';
import { regionalGrpc, type RegionalAuthority } from './support/regional-client';

type Who = 'own' | 'other' | 'national' | 'local';
type Op =
  | 'list'
  | 'suspend'
  | 'reinstate'
  | 'lifecycle'
  | 'history'
  | 'requirements'
  | 'show-requirements'
  | 'certificates'
  | 'clients'
  | 'create-client'
  | 'rekey-client'
  | 'revoke-client'
  | 'stream-health';
/** Operations with a target system (the rest act on the region). */
const ON_SYSTEM: ReadonlySet<Op> = new Set(['suspend', 'reinstate', 'lifecycle', 'history']);
/** Operations on one of the region's authority clients. */
const ON_CLIENT: ReadonlySet<Op> = new Set(['rekey-client', 'revoke-client']);
/** Operations with the JSON door only (none since the regional reads got their gRPC twins). */
const REST_ONLY: ReadonlySet<Op> = new Set();
type Door = 'grpc' | 'rest';

const REGION = 'north-east';
const scopesOf = (region: string): string[] => REGION_ACTIONS.map((a) => `region/${region}/${a}`);

describe('regional digital authorities', () => {
  let gw: GatewayUnderTest;
  let grpc: ReturnType<typeof regionalGrpc>;
  let prefix: string;
  let topics: string[];
  const tokens = {} as Record<Who, string>;
  const ids = {} as Record<Who, string>;
  /** Authority clients whose Kafka principals the cases may have created (removed at the end). */
  const clients: string[] = [];
  let jwks: string;

  beforeAll(async () => {
    prefix = `trellis.rt${randomUUID().slice(0, 8)}.`;
    topics = [`${prefix}north-east.v1`, `${prefix}london.v1`];
    await createTopics(topics.map((name) => ({ name })));
    gw = await startGateway({ GATEWAY_REGION_TOPIC_PREFIX: prefix });
    grpc = regionalGrpc(gw.grpcAddress);
    const { publicKey } = await generateKeyPair('ES384');
    jwks = JSON.stringify({
      keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES384', use: 'sig' }],
    });
    const principals: Record<Who, { scopes: string[]; odsCode: string; region: string }> = {
      own: { scopes: scopesOf('north-east'), odsCode: 'YRA01', region: 'north-east' },
      other: { scopes: scopesOf('london'), odsCode: 'YRA06', region: 'london' },
      national: { scopes: ['trellis/admin'], odsCode: 'X26', region: 'london' },
      local: { scopes: ['system/Patient.rs'], odsCode: 'A81001', region: 'north-east' },
    };
    for (const who of Object.keys(principals) as Who[]) {
      const c = await registerClient(gw, principals[who]);
      ids[who] = c.id;
      tokens[who] = await getToken(gw, c, principals[who].scopes.join(' '));
    }
  });
  afterAll(async () => {
    const principals = gw?.handle.app.get(RegionPrincipals);
    for (const id of clients) await principals?.revoke(REGION, id).catch(() => undefined);
    grpc?.close();
    await gw?.stop();
    await deleteTopics(topics);
  });

  /**
   * A fresh system of a north-east GP practice, left as registered (in the sandbox unless asked:
   * its only acts are the ones under test); suspended first when it is to be reinstated.
   */
  async function target(suspended: boolean, lifecycle?: 'registered'): Promise<string> {
    const c = await registerClient(gw, {
      scopes: ['system/Patient.rs'],
      odsCode: 'A82001',
      region: REGION,
      lifecycle: lifecycle ?? 'sandbox',
    });
    if (suspended)
      await gw.handle.app.get(SystemsService).suspend(c.id, 'set up', BOOTSTRAP_CALLER);
    return c.id;
  }

  /** A fresh authority client of north-east (no Kafka principal yet: a re-key creates it). */
  async function authorityClient(): Promise<string> {
    const c = await registerClient(gw, {
      scopes: ['region/north-east/systems.read'],
      odsCode: 'YRA01',
      region: REGION,
    });
    clients.push(c.id);
    return c.id;
  }

  async function act(door: Door, op: Op, who: Who, region: string, id: string): Promise<string> {
    const reason = `test ${op} by ${who}`;
    const requirements = { extraCertificateRoles: [], maxViolationRate: 0.5, reason };
    // a client id of the creation's own (the national operator's and the region's differ)
    const client = {
      clientId: `rt-${who}-${door}-${randomUUID().slice(0, 8)}`,
      name: `North East ${who} client`,
      odsCode: 'YRA01',
      scopes: ['region/north-east/systems.read'],
    };
    if (op === 'create-client') clients.push(client.clientId);
    if (door === 'grpc') {
      // one typed call per operation: a renamed RPC or field fails the typecheck
      const calls: Record<Op, (c: RegionalAuthority) => Promise<unknown>> = {
        list: (c) => c.listRegionSystems({ region }),
        suspend: (c) => c.suspendRegionSystem({ region, id, reason }),
        reinstate: (c) => c.reinstateRegionSystem({ region, id, reason }),
        lifecycle: (c) => c.transitionRegionSystem({ region, id, to: 'sandbox', reason }),
        history: (c) => c.getRegionSystemLifecycle({ region, id }),
        requirements: (c) => c.setRegionRequirements({ region, ...requirements }),
        'show-requirements': (c) => c.getRegionRequirements({ region }),
        certificates: (c) => c.listRegionCertificates({ region }),
        clients: (c) => c.listRegionAuthorityClients({ region, page: { pageSize: 200 } }),
        'create-client': (c) =>
          c.createRegionAuthorityClient({ region, ...client, keys: { jwksJson: jwks } }),
        'rekey-client': (c) => c.rekeyRegionAuthorityClient({ region, id }),
        'revoke-client': (c) => c.revokeRegionAuthorityClient({ region, id, reason }),
        'stream-health': (c) => c.getRegionStreamHealth({ region }),
      };
      const r = await grpc.answer(tokens[who], calls[op]);
      return r.ok ? 'OK' : r.status;
    }
    const at = `/admin/v1/regions/${region}`;
    const [method, path, body] = {
      list: ['GET', `${at}/systems`, undefined],
      suspend: ['POST', `${at}/systems/${id}/suspend`, { reason }],
      reinstate: ['POST', `${at}/systems/${id}/reinstate`, { reason }],
      lifecycle: ['POST', `${at}/systems/${id}/lifecycle`, { to: 'sandbox', reason }],
      history: ['GET', `${at}/systems/${id}/lifecycle`, undefined],
      requirements: ['POST', `${at}/requirements`, requirements],
      'show-requirements': ['GET', `${at}/requirements`, undefined],
      certificates: ['GET', `${at}/certificates`, undefined],
      clients: ['GET', `${at}/authority-clients?pageSize=200`, undefined],
      'create-client': ['POST', `${at}/authority-clients`, { ...client, jwks }],
      'rekey-client': ['POST', `${at}/authority-clients/${id}/kafka-credentials`, undefined],
      'revoke-client': ['POST', `${at}/authority-clients/${id}/revoke`, { reason }],
      'stream-health': ['GET', `${at}/stream-health`, undefined],
    }[op] as [string, string, unknown];
    const res = await fetch(`${gw.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tokens[who]}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    await res.text();
    return String(res.status);
  }

  const ok: Record<Door, string> = { grpc: 'OK', rest: '200' };
  const refused: Record<Door, string> = { grpc: 'PERMISSION_DENIED', rest: '403' };
  const cells: [Door, Op, Who][] = [];
  const ops: Op[] = [
    'list',
    'suspend',
    'reinstate',
    'lifecycle',
    'history',
    'requirements',
    'show-requirements',
    'certificates',
    'clients',
    'create-client',
    'rekey-client',
    'revoke-client',
    'stream-health',
  ];
  for (const door of ['grpc', 'rest'] as Door[])
    for (const op of ops)
      for (const who of ['own', 'other', 'national', 'local'] as Who[])
        if (door === 'rest' || !REST_ONLY.has(op)) cells.push([door, op, who]);

  it.each(cells)('%s %s in north-east by %s', async (door, op, who) => {
    const id = ON_SYSTEM.has(op)
      ? await target(op === 'reinstate', op === 'lifecycle' ? 'registered' : undefined)
      : ON_CLIENT.has(op)
        ? await authorityClient()
        : '';
    const got = await act(door, op, who, REGION, id);
    const created = door === 'rest' && op === 'create-client' ? '201' : ok[door];
    expect(got).toBe(who === 'own' || who === 'national' ? created : refused[door]);
    const changed = who === 'own' || who === 'national';
    if (op === 'create-client') {
      const made = await gw.handle.app
        .get(SystemsService)
        .get(clients.at(-1)!)
        .catch(() => null);
      expect(made !== null).toBe(changed);
    }
    if (op === 'revoke-client')
      expect((await gw.handle.app.get(SystemsService).get(id)).status).toBe(
        changed ? 'suspended' : 'active',
      );
    if (op === 'lifecycle') {
      const row = await gw.handle.app.get(SystemsService).get(id);
      expect(row.lifecycle).toBe(changed ? 'sandbox' : 'registered');
    }
    if (op !== 'suspend' && op !== 'reinstate') return;
    const row = await gw.handle.app.get(SystemsService).get(id);
    const expected = (op === 'suspend') === changed ? 'suspended' : 'active';
    expect(row.status).toBe(expected);
  });

  it("an authority naming its own region cannot reach another region's system (either door)", async () => {
    const id = await target(false);
    expect(await act('grpc', 'suspend', 'other', 'london', id)).toBe('NOT_FOUND');
    expect(await act('rest', 'suspend', 'other', 'london', id)).toBe('404');
    expect((await gw.handle.app.get(SystemsService).get(id)).status).toBe('active');
  });

  it('lists only the region’s systems (by their organisations), and refuses an unknown region as bad input', async () => {
    const res = await fetch(`${gw.baseUrl}/admin/v1/regions/north-east/systems?pageSize=500`, {
      headers: { authorization: `Bearer ${tokens.own}` },
    });
    const page = (await res.json()) as { systems: { region: string; odsCode: string }[] };
    expect(page.systems.length).toBeGreaterThan(0);
    // the region enforcement judges by: the organisation's, else the registered one
    const regionOf = (s: { region: string; odsCode: string }) =>
      organisationByOdsCode(s.odsCode)?.region ?? s.region;
    expect(new Set(page.systems.map(regionOf))).toEqual(new Set(['north-east']));
    expect(await act('grpc', 'list', 'national', 'atlantis', '')).toBe('INVALID_ARGUMENT');
    expect(await act('rest', 'list', 'national', 'atlantis', '')).toBe('400');
  });

  it('every act is on the region’s stream and in the audit; national acts are overrides', async () => {
    const byOwn = await target(false);
    const byNational = await target(true);
    const stream = await collect(`${prefix}north-east.v1`);
    const audit = await collect(gw.auditTopic);
    try {
      expect(await act('grpc', 'suspend', 'own', REGION, byOwn)).toBe('OK');
      expect(await act('rest', 'reinstate', 'national', REGION, byNational)).toBe('200');
      const acts = await waitFor(() => {
        const decoded = stream.messages.map((m) =>
          events.v1.RegionalAuthorityActed.decode(m.value ?? new Uint8Array()),
        );
        const mine = decoded.filter(
          (e) => [byOwn, byNational].includes(e.systemId) && e.action !== 'registered',
        );
        return mine.length === 2 ? mine : undefined;
      }, 10_000);
      const own = acts.find((e) => e.systemId === byOwn);
      const national = acts.find((e) => e.systemId === byNational);
      expect(own).toEqual(
        expect.objectContaining({
          region: REGION,
          action: 'suspended',
          reason: 'test suspend by own',
          actor: ids.own,
          nationalOverride: false,
        }),
      );
      expect(national).toEqual(
        expect.objectContaining({
          action: 'reinstated',
          actor: ids.national,
          nationalOverride: true,
        }),
      );
      const records = await waitFor(() => {
        const decoded = audit.messages.map((m) =>
          events.v1.AccessRecorded.decode(m.value ?? new Uint8Array()),
        );
        const mine = decoded.filter((r) => [byOwn, byNational].includes(r.resourceId));
        return mine.length === 2 ? mine : undefined;
      }, 10_000);
      expect(records.find((r) => r.resourceId === byOwn)).toEqual(
        expect.objectContaining({
          systemId: ids.own,
          outcome: '0',
          interaction: '/trellis.gateway.v1.RegionalAuthorityService/SuspendRegionSystem',
          requiredScope: 'region/north-east/systems.write',
        }),
      );
      expect(records.find((r) => r.resourceId === byNational)?.outcomeDescription).toMatch(
        /national override/,
      );
      // the london stream heard nothing of north-east's acts
      const london = await collect(`${prefix}london.v1`);
      await new Promise((r) => setTimeout(r, 500));
      const heard = london.messages
        .map((m) => events.v1.RegionalAuthorityActed.decode(m.value ?? new Uint8Array()))
        .filter((e) => [byOwn, byNational].includes(e.systemId) || e.region !== 'london');
      expect(heard).toHaveLength(0);
      await london.stop();
    } finally {
      await stream.stop();
      await audit.stop();
    }
  });

  it("a north-east suspension stops the system's calls (suspension feed)", async () => {
    // a second north-east authority system: its own calls are what must stop
    const c: TestClient = await registerClient(gw, {
      scopes: ['region/north-east/systems.read'],
      odsCode: 'YRA01',
      region: REGION,
    });
    const token = await getToken(gw, c, 'region/north-east/systems.read');
    const call = async (): Promise<number> =>
      (
        await fetch(`${gw.baseUrl}/admin/v1/regions/north-east/systems`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).status;
    expect(await call()).toBe(200);
    expect(await act('rest', 'suspend', 'own', REGION, c.id)).toBe('200');
    let last = 200;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && last === 200) {
      last = await call();
      if (last === 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect([401, 403]).toContain(last);
    // and no new token
    const r = await requestToken(gw.tokenUrl, {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await assertion(c, gw.tokenUrl),
      scope: 'region/north-east/systems.read',
    });
    expect(r.status).toBeGreaterThanOrEqual(400);
  });

  it('region scopes go only to an authority, for its own region, and are granted exactly', async () => {
    const refusedRegistration = async (odsCode: string, region: string, scope: string) =>
      registerClient(gw, { scopes: [scope], odsCode, region }).then(
        () => 'registered',
        (e: unknown) => (e as { kind?: string }).kind ?? String(e),
      );
    expect(
      await refusedRegistration('A81001', 'north-east', 'region/north-east/systems.read'),
    ).toBe('INVALID_ARGUMENT');
    expect(await refusedRegistration('YRA01', 'north-east', 'region/london/systems.read')).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await refusedRegistration('YRA06', 'north-east', 'region/north-east/systems.read')).toBe(
      'INVALID_ARGUMENT',
    );
    const c = await registerClient(gw, {
      scopes: ['region/north-east/systems.write'],
      odsCode: 'YRA01',
      region: REGION,
    });
    for (const scope of ['region/london/systems.write', 'region/*/systems.write'])
      expect(
        (
          await requestToken(gw.tokenUrl, {
            grant_type: 'client_credentials',
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: await assertion(c, gw.tokenUrl),
            scope,
          })
        ).status,
      ).toBe(400);
  });

  it("reports the consumer-group lag of the region's own subscribers (both doors)", async () => {
    const topic = `${prefix}north-east.v1`;
    const admin = kafka().admin();
    const tag = randomUUID().slice(0, 8);
    const subscriber = `region-north-east.${tag}`;
    try {
      // the acts of the earlier cases are on the stream; the subscriber has read none of them
      const high = await admin.topicOffsets!(topic);
      const backlog = high.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
      expect(backlog).toBeGreaterThan(0);
      const at = (offset: (p: { high: string; low: string }) => string) =>
        high.map((p) => ({ partition: p.partition, offset: offset(p) }));
      await admin.setGroupOffsets!(
        subscriber,
        topic,
        at((p) => p.low),
      );
      // another region's group on this topic, and a north-east group that never read it, are not
      // north-east's subscribers here
      await admin.setGroupOffsets!(
        `region-london.${tag}`,
        topic,
        at((p) => p.low),
      );
      await admin.setGroupOffsets!(`region-north-east.${tag}-elsewhere`, `${prefix}london.v1`, [
        { partition: 0, offset: '0' },
      ]);
      const grpcHealth = await grpc.by(tokens.own).getRegionStreamHealth({ region: REGION });
      expect(grpcHealth.topic).toBe(topic);
      const mine = grpcHealth.subscribers.filter((g) => g.groupId.includes(tag));
      expect(mine).toEqual([expect.objectContaining({ groupId: subscriber, lag: backlog })]);
      // caught up: lag 0 (REST door)
      await admin.setGroupOffsets!(
        subscriber,
        topic,
        at((p) => p.high),
      );
      const res = await fetch(`${gw.baseUrl}/admin/v1/regions/north-east/stream-health`, {
        headers: { authorization: `Bearer ${tokens.own}` },
      });
      expect(res.status).toBe(200);
      const rest = (await res.json()) as { subscribers: { groupId: string; lag: number }[] };
      expect(rest.subscribers.filter((g) => g.groupId.includes(tag))).toEqual([
        expect.objectContaining({ groupId: subscriber, lag: 0 }),
      ]);
      // who may read it: the table's stream-health cells, on both doors
    } finally {
      await admin.deleteGroups!([
        subscriber,
        `region-london.${tag}`,
        `region-north-east.${tag}-elsewhere`,
      ]).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
