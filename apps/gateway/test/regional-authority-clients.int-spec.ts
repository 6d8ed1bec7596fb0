// Issue 18, the authority clients' operations beyond the authorisation table
// (regional-authority.int-spec.ts): a Kafka re-key through either door is on the region's stream
// and in the audit (the password in neither), and the listing pages with the shared page token on
// both doors, each client with its principal, bad pages refused as bad input. Authority clients
// and the operator's consoles are governance clients: no lifecycle move on either door. A region's
// listing holds the systems of its organisations (the reference data's region), as enforcement.
import { randomUUID } from 'node:crypto';

import { REGION_ACTIONS } from '@trellis/auth';
import { events } from '@trellis/contracts';

import { RegionPrincipals } from '../src/app/regions/region-principals';
import { listingCursor } from '../src/app/systems/listing-cursor';
import { SystemsService } from '../src/app/systems/systems.service';
import {
  collect,
  createTopics,
  deleteTopics,
  getToken,
  registerClient,
  startGateway,
  waitFor,
  type GatewayUnderTest,
} from './support/harness';
import { regionalGrpc, type RegionalGrpc } from './support/regional-client';

jest.setTimeout(180_000);

type Who = 'own' | 'other' | 'national' | 'local';
const REGION = 'north-east';
const scopesOf = (region: string): string[] => REGION_ACTIONS.map((a) => `region/${region}/${a}`);

describe('regional authority clients: re-key records and the paged listing', () => {
  let gw: GatewayUnderTest;
  let grpc: RegionalGrpc;
  let prefix: string;
  let topics: string[];
  const tokens = {} as Record<Who, string>;
  const ids = {} as Record<Who, string>;
  const clients: string[] = [];

  beforeAll(async () => {
    prefix = `trellis.rc${randomUUID().slice(0, 8)}.`;
    topics = [`${prefix}north-east.v1`, `${prefix}london.v1`];
    await createTopics(topics.map((name) => ({ name })));
    gw = await startGateway({ GATEWAY_REGION_TOPIC_PREFIX: prefix });
    grpc = regionalGrpc(gw.grpcAddress);
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

  it('a Kafka re-key is on the region’s stream and in the audit, on either door', async () => {
    const viaGrpc = await authorityClient();
    const viaRest = await authorityClient();
    const stream = await collect(`${prefix}north-east.v1`);
    const audit = await collect(gw.auditTopic);
    try {
      const g = await grpc.answer(tokens.own, (c) =>
        c.rekeyRegionAuthorityClient({ region: REGION, id: viaGrpc }),
      );
      expect(g.ok).toBe(true);
      const r = await fetch(
        `${gw.baseUrl}/admin/v1/regions/${REGION}/authority-clients/${viaRest}/kafka-credentials`,
        { method: 'POST', headers: { authorization: `Bearer ${tokens.national}` } },
      );
      expect(r.status).toBe(200);
      const passwords = [
        g.ok ? (g.body.kafka?.password ?? '') : '',
        ((await r.json()) as { kafka: { password: string } }).kafka.password,
      ];
      for (const p of passwords) expect(p.length).toBeGreaterThanOrEqual(24);
      const acts = await waitFor(() => {
        const mine = stream.messages
          .map((m) => events.v1.RegionalAuthorityActed.decode(m.value ?? new Uint8Array()))
          .filter((e) => [viaGrpc, viaRest].includes(e.systemId) && e.action !== 'registered');
        return mine.length === 2 ? mine : undefined;
      }, 30_000);
      expect(acts.find((e) => e.systemId === viaGrpc)).toEqual(
        expect.objectContaining({
          action: 'authority-client.rekeyed',
          actor: ids.own,
          nationalOverride: false,
        }),
      );
      expect(acts.find((e) => e.systemId === viaRest)).toEqual(
        expect.objectContaining({ action: 'authority-client.rekeyed', nationalOverride: true }),
      );
      const records = await waitFor(() => {
        const mine = audit.messages
          .map((m) => events.v1.AccessRecorded.decode(m.value ?? new Uint8Array()))
          .filter(
            (r) =>
              r.resourceId === viaGrpc &&
              r.outcomeDescription.startsWith('authority-client.rekeyed in north-east'),
          );
        return mine.length > 0 ? mine : undefined;
      }, 30_000);
      expect(records).toHaveLength(1);
      expect(records[0]).toEqual(
        expect.objectContaining({
          systemId: ids.own,
          interaction: '/trellis.gateway.v1.RegionalAuthorityService/RekeyRegionAuthorityClient',
          requiredScope: 'region/north-east/systems.write',
        }),
      );
      // the password is answered, never recorded
      const recorded = [...stream.messages, ...audit.messages].map((m) =>
        Buffer.from(m.value ?? new Uint8Array()).toString('latin1'),
      );
      for (const p of passwords) expect(recorded.filter((m) => m.includes(p))).toEqual([]);
    } finally {
      await stream.stop();
      await audit.stop();
    }
  });

  it('lists the region’s authority clients page by page with their principals, on both doors', async () => {
    // from an anchor on (the suite's other cases register clients too): a token of the listing's
    // own scheme, made from the anchor's row
    const anchor = await gw.handle.app.get(SystemsService).get(await authorityClient());
    const from = listingCursor.encode(anchor, { listing: 'authority-clients', region: REGION });
    const mine = [await authorityClient(), await authorityClient()];
    const seen: string[] = [];
    let token = from;
    let pages = 0;
    do {
      const answer = await grpc.answer(tokens.own, (c) =>
        c.listRegionAuthorityClients({ region: REGION, page: { pageSize: 1, pageToken: token } }),
      );
      if (!answer.ok) throw answer.error;
      const page = answer.body;
      expect(page.clients).toHaveLength(1);
      expect(page.managedBy).toBe('kafka');
      for (const c of page.clients) {
        expect(c.principal).toBe(`region-north-east.${c.client!.id}`);
        seen.push(c.client!.id);
      }
      token = page.page!.nextPageToken;
      pages += 1;
    } while (token && pages < 100);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(mine));
    expect(seen).not.toContain(anchor.id);
    expect(seen).not.toContain(ids.other);
    expect(seen).not.toContain(ids.local);
    // the JSON door answers the same first page, and its token is the same scheme
    const res = await fetch(
      `${gw.baseUrl}/admin/v1/regions/north-east/authority-clients?pageSize=1&pageToken=${from}`,
      {
        headers: { authorization: `Bearer ${tokens.own}` },
      },
    );
    const rest = (await res.json()) as {
      clients: { id: string; principal: string }[];
      nextPageToken: string;
      truncated: boolean;
    };
    expect(rest.clients.map((c) => c.id)).toEqual([seen[0]]);
    expect(rest.truncated).toBe(true);
    // a north-east token is no london token; a page too large is bad input (both doors)
    expect(
      await grpc.answer(tokens.national, (c) =>
        c.listRegionAuthorityClients({
          region: 'london',
          page: { pageToken: rest.nextPageToken },
        }),
      ),
    ).toMatchObject({ ok: false, status: 'INVALID_ARGUMENT' });
    expect(
      await grpc.answer(tokens.own, (c) =>
        c.listRegionAuthorityClients({ region: REGION, page: { pageSize: 201 } }),
      ),
    ).toMatchObject({ ok: false, status: 'INVALID_ARGUMENT' });
    // another region's authority and a local system are refused
    for (const who of ['other', 'local'] as const)
      expect(
        await grpc.answer(tokens[who], (c) => c.listRegionAuthorityClients({ region: REGION })),
      ).toMatchObject({ ok: false, status: 'PERMISSION_DENIED' });
    const big = await fetch(
      `${gw.baseUrl}/admin/v1/regions/north-east/authority-clients?pageSize=201`,
      {
        headers: { authorization: `Bearer ${tokens.own}` },
      },
    );
    await big.text();
    expect(big.status).toBe(400);
  });

  it('governance clients are outside the lifecycle: no move on either door', async () => {
    const id = await authorityClient();
    const move = { region: REGION, id, to: 'live', reason: 'try to onboard a governance client' };
    const g = await grpc.answer(tokens.national, (c) => c.transitionRegionSystem(move));
    expect(g).toMatchObject({ ok: false, status: 'FAILED_PRECONDITION' });
    if (!g.ok) expect(g.message).toMatch(/governance client/);
    const res = await fetch(`${gw.baseUrl}/admin/v1/regions/${REGION}/systems/${id}/lifecycle`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.own}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'live', reason: move.reason }),
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toContain('lifecycle.governance-principal');
  });

  it('a region’s listing holds exactly the systems its authority may act on: by the organisation’s region', async () => {
    const anchor = await registerClient(gw, { scopes: ['system/Patient.rs'], odsCode: 'A82001' });
    const after = await gw.handle.app.get(SystemsService).get(anchor.id);
    // a north-east practice registered as london; an organisation unknown to the reference data
    const mismatched = await registerClient(gw, {
      scopes: ['system/Patient.rs'],
      odsCode: 'A81001',
      region: 'london',
    });
    const unknown = await registerClient(gw, {
      scopes: ['system/Patient.rs'],
      odsCode: 'ZZ9990',
      region: 'london',
    });
    const listed = async (region: string, who: Who): Promise<string[]> => {
      // from the anchor on (the suite registers many systems): a token of the listing's own scheme
      const token = listingCursor.encode(after, { listing: 'systems', region });
      const res = await fetch(
        `${gw.baseUrl}/admin/v1/regions/${region}/systems?pageSize=500&pageToken=${token}`,
        { headers: { authorization: `Bearer ${tokens[who]}` } },
      );
      expect(res.status).toBe(200);
      return ((await res.json()) as { systems: { id: string }[] }).systems.map((x) => x.id);
    };
    const ne = await listed(REGION, 'own');
    expect(ne).toContain(mismatched.id);
    expect(ne).not.toContain(unknown.id);
    const london = await listed('london', 'national');
    expect(london).toContain(unknown.id);
    expect(london).not.toContain(mismatched.id);
    // and north-east's authority acts on what it lists
    const res = await fetch(
      `${gw.baseUrl}/admin/v1/regions/${REGION}/systems/${mismatched.id}/suspend`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.own}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'listed, so ours' }),
      },
    );
    await res.text();
    expect(res.status).toBe(200);
  });
});
