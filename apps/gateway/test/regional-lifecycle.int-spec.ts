// Issue 18 proof: a connected system's lifecycle end to end — registered → sandbox → certified →
// approved live by the north-east authority (the London authority's approval refused, a stricter
// north-east requirement refused until met), then suspended by north-east and its calls stopped
// within 10 s; every step is on north-east's stream and in the access audit, and in the history.
import { randomUUID } from 'node:crypto';

import { events } from '@trellis/contracts';
import { decodeJwt } from 'jose';

import { type PrismaClient } from '../src/generated/prisma/client';
import { GatewayPrismaService } from '../src/app/database/gateway-prisma.service';
import { ProductsService } from '../src/app/products/products.service';
import { SystemsService } from '../src/app/systems/systems.service';
import {
  BOOTSTRAP_CALLER,
  assertion,
  collect,
  createTopics,
  deleteTopics,
  getToken,
  registerClient,
  requestToken,
  startGateway,
  waitFor,
  type GatewayUnderTest,
  type TestClient,
} from './support/harness';

const NE = 'north-east';
const SCOPES = 'system/Patient.rs system/TestReport.rs';
const regionScopes = (r: string): string[] =>
  ['systems.write', 'scorecards.read', 'audit.read'].map((a) => `region/${r}/${a}`);

describe('connected-system lifecycle (issue 18)', () => {
  let gw: GatewayUnderTest;
  let prisma: PrismaClient;
  let prefix: string;
  let topics: string[];
  const auth = {} as Record<'ne' | 'london' | 'national', { id: string; token: string }>;

  beforeAll(async () => {
    prefix = `trellis.lc${randomUUID().slice(0, 8)}.`;
    topics = [`${prefix}north-east.v1`, `${prefix}london.v1`];
    await createTopics(topics.map((name) => ({ name })));
    gw = await startGateway({ GATEWAY_REGION_TOPIC_PREFIX: prefix });
    prisma = gw.handle.app.get(GatewayPrismaService);
    const who = {
      ne: { scopes: regionScopes(NE), odsCode: 'YRA01', region: NE },
      london: { scopes: regionScopes('london'), odsCode: 'YRA06', region: 'london' },
      national: { scopes: ['trellis/admin'], odsCode: 'X26', region: 'london' },
    };
    for (const k of Object.keys(who) as (keyof typeof who)[]) {
      const c = await registerClient(gw, who[k]);
      auth[k] = { id: c.id, token: await getToken(gw, c, who[k].scopes.join(' ')) };
    }
  }, 120_000);
  afterAll(async () => {
    await gw?.stop();
    await deleteTopics(topics);
  });

  async function post(
    who: keyof typeof auth,
    path: string,
    body: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${gw.baseUrl}/admin/v1/regions/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${auth[who].token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  const move = (who: keyof typeof auth, region: string, id: string, to: string, reason: string) =>
    post(who, `${region}/systems/${id}/lifecycle`, { to, reason });

  async function token(c: TestClient): Promise<{ status: number; body: Record<string, unknown> }> {
    return requestToken(gw.tokenUrl, {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await assertion(c, gw.tokenUrl),
      scope: SCOPES,
    });
  }

  /** A certificate the conformance kit issued for the version, as its register holds it. */
  async function certificate(pv: string, role: string): Promise<string> {
    const id = randomUUID();
    const [product, version] = pv.split('@') as [string, string];
    await prisma.conformanceCertificate.create({
      data: {
        id,
        productVersionId: pv,
        role,
        rulesVersion: 'trellis-rules-2026.12',
        supplier: 'Lifecycle Ltd',
        product,
        version,
        sessionId: randomUUID(),
        testReportIds: [],
        jwt: 'issued-by-the-kit',
        status: 'active',
        issuedAt: new Date(),
        expiresAt: new Date(Date.now() + 365 * 24 * 3600_000),
      },
    });
    return id;
  }

  it('register → sandbox → certified → live by north-east; London refused; suspension stops calls; all on the stream and in the audit', async () => {
    const stream = await collect(`${prefix}north-east.v1`);
    const audit = await collect(gw.auditTopic);
    try {
      const tag = randomUUID().slice(0, 6);
      const products = gw.handle.app.get(ProductsService);
      await products.registerProduct(
        { id: `lc-${tag}`, supplier: 'Lifecycle Ltd', name: 'Lifecycle GP', role: 'gp_system' },
        BOOTSTRAP_CALLER,
      );
      await products.registerVersion(`lc-${tag}`, '1.0', BOOTSTRAP_CALLER);
      const pv = `lc-${tag}@1.0`;
      const system = await registerClient(gw, {
        scopes: SCOPES.split(' '),
        odsCode: 'A82001',
        region: NE,
        productVersionId: pv,
        lifecycle: 'registered',
      });

      // registered: no clinical scopes; cannot skip the sandbox
      const early = await token(system);
      expect(early.status).toBe(400);
      expect(String(early.body['error_description'])).toContain('registered → sandbox');
      const skip = await move('ne', NE, system.id, 'live', 'skip ahead');
      expect(skip.status).toBe(422);
      expect(skip.body).toMatchObject({ error: { code: 'LIFECYCLE_ILLEGAL_TRANSITION' } });

      expect(
        (await move('ne', NE, system.id, 'sandbox', 'credentials for the sandbox')).status,
      ).toBe(200);
      expect((await token(system)).status).toBe(200);

      // certified needs the version's certificate for its role
      const uncertified = await move('ne', NE, system.id, 'certified', 'kit passed?');
      expect(uncertified.status).toBe(422);
      expect(JSON.stringify(uncertified.body)).toContain('national.certificate');
      const gpCertificate = await certificate(pv, 'gp-system');
      expect((await move('ne', NE, system.id, 'certified', 'kit passed')).status).toBe(200);

      // north-east's stricter requirement: a lab-lims certificate too; declared and shown
      const declared = await post('ne', `${NE}/requirements`, {
        extraCertificateRoles: ['lab-lims'],
        reason: 'results integration is mandatory in north-east',
      });
      expect(declared.status).toBe(200);
      const shown = await fetch(`${gw.baseUrl}/admin/v1/regions/${NE}/requirements`, {
        headers: { authorization: `Bearer ${auth.london.token}` },
      });
      expect(shown.status).toBe(403);
      const mine = await fetch(`${gw.baseUrl}/admin/v1/regions/${NE}/requirements`, {
        headers: { authorization: `Bearer ${auth.ne.token}` },
      });
      expect(await mine.json()).toMatchObject({
        region: NE,
        extraCertificateRoles: ['lab-lims'],
        maxViolationRate: null,
        changedBy: auth.ne.id,
      });
      const strict = await move('ne', NE, system.id, 'live', 'go-live approved');
      expect(strict.status).toBe(422);
      expect(strict.body).toMatchObject({ error: { code: 'LIFECYCLE_REQUIREMENT_UNMET' } });
      expect(JSON.stringify(strict.body)).toContain('region.north-east.certificate.lab-lims');

      // London's authority cannot approve: not its region (403), nor its system (404)
      expect((await move('london', NE, system.id, 'live', 'approve')).status).toBe(403);
      expect((await move('london', 'london', system.id, 'live', 'approve')).status).toBe(404);

      await certificate(pv, 'lab-lims');
      const live = await move('ne', NE, system.id, 'live', 'go-live approved by north-east');
      expect(live.status).toBe(200);
      expect(live.body).toMatchObject({
        nationalOverride: false,
        system: { lifecycle: 'live' },
        transition: { from: 'certified', to: 'live', actor: auth.ne.id },
      });
      const granted = await token(system);
      expect(granted.status).toBe(200);
      expect(decodeJwt(granted.body['access_token'] as string)['certificate']).toBe(gpCertificate);

      // suspension by north-east stops the system's calls within 10 s
      const systemToken = granted.body['access_token'] as string;
      const call = async (): Promise<number> => {
        const r = await fetch(`${gw.baseUrl}/fhir/TestReport/${randomUUID()}`, {
          headers: { authorization: `Bearer ${systemToken}` },
        });
        await r.text();
        return r.status;
      };
      expect([401, 403]).not.toContain(await call());
      expect(
        (await post('ne', `${NE}/systems/${system.id}/suspend`, { reason: 'unsafe' })).status,
      ).toBe(200);
      let last = await call();
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && ![401, 403].includes(last)) {
        await new Promise((r) => setTimeout(r, 100));
        last = await call();
      }
      expect([401, 403]).toContain(last);

      // the history, who/when/why
      const history = await fetch(
        `${gw.baseUrl}/admin/v1/regions/${NE}/systems/${system.id}/lifecycle`,
        { headers: { authorization: `Bearer ${auth.ne.token}` } },
      );
      const h = (await history.json()) as {
        state: string;
        transitions: { from: string | null; to: string; actor: string; reason: string }[];
      };
      expect(h.state).toBe('live');
      expect(h.transitions.map((t) => `${t.from ?? ''}>${t.to}:${t.actor}`)).toEqual([
        '>registered:bootstrap',
        `registered>sandbox:${auth.ne.id}`,
        `sandbox>certified:${auth.ne.id}`,
        `certified>live:${auth.ne.id}`,
      ]);

      // every step on north-east's stream, with the actor and reason
      const acts = await waitFor(() => {
        const mine = stream.messages
          .map((m) => events.v1.RegionalAuthorityActed.decode(m.value ?? new Uint8Array()))
          .filter((e) => e.systemId === system.id);
        return mine.length >= 5 ? mine : undefined;
      }, 60_000);
      expect(acts.map((e) => `${e.action}:${e.lifecycleFrom}>${e.lifecycleTo}:${e.actor}`)).toEqual(
        [
          // registration is the first step, by whoever registered it (here the national operator)
          `registered:>registered:${BOOTSTRAP_CALLER.systemId}`,
          `lifecycle:registered>sandbox:${auth.ne.id}`,
          `lifecycle:sandbox>certified:${auth.ne.id}`,
          `lifecycle:certified>live:${auth.ne.id}`,
          `suspended:>:${auth.ne.id}`,
        ],
      );
      expect(acts[0]).toMatchObject({ region: NE, nationalOverride: true });
      expect(acts[3]).toMatchObject({
        reason: 'go-live approved by north-east',
        nationalOverride: false,
      });

      // and in the access audit
      const records = await waitFor(() => {
        const mine = audit.messages
          .map((m) => events.v1.AccessRecorded.decode(m.value ?? new Uint8Array()))
          .filter(
            (r) => r.resourceId === system.id && r.systemId === auth.ne.id && r.outcome === '0',
          );
        return mine.length >= 4 ? mine : undefined;
      }, 60_000);
      const described = records.map((r) => r.outcomeDescription);
      for (const step of ['registered → sandbox', 'sandbox → certified', 'certified → live'])
        expect(described.some((d) => d.includes(`lifecycle ${step} in north-east`))).toBe(true);
      expect(described.some((d) => d.startsWith('suspended in north-east'))).toBe(true);
    } finally {
      await stream.stop();
      await audit.stop();
    }
  }, 180_000);

  it('the national operator approves as a recorded override; a live system cannot skip back to certified', async () => {
    const tag = randomUUID().slice(0, 6);
    const products = gw.handle.app.get(ProductsService);
    await products.registerProduct(
      { id: `ln-${tag}`, supplier: 'Lifecycle Ltd', name: 'Lifecycle EPR', role: 'hospital_epr' },
      BOOTSTRAP_CALLER,
    );
    await products.registerVersion(`ln-${tag}`, '1.0', BOOTSTRAP_CALLER);
    const system = await registerClient(gw, {
      scopes: SCOPES.split(' '),
      odsCode: 'A82001',
      region: NE,
      productVersionId: `ln-${tag}@1.0`,
    });
    await certificate(`ln-${tag}@1.0`, 'hospital-epr');
    await certificate(`ln-${tag}@1.0`, 'lab-lims'); // north-east's requirement (first case)
    expect((await move('national', NE, system.id, 'certified', 'kit passed')).status).toBe(200);
    const live = await move('national', NE, system.id, 'live', 'national go-live');
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({
      nationalOverride: true,
      transition: { nationalOverride: true },
    });
    const back = await move('national', NE, system.id, 'certified', 'wrong way');
    expect(back.status).toBe(422);
    expect(JSON.stringify(back.body)).toContain('lifecycle.live-to-certified');
    const row = await gw.handle.app.get(SystemsService).get(system.id);
    expect(row.lifecycle).toBe('live');
  }, 120_000);
});
