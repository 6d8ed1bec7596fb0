// Issue 18, Kafka side in the chart's operator mode (GATEWAY_REGION_PRINCIPALS=strimzi): the
// regional API's creation, re-key and withdrawal of an authority client write and delete its
// Strimzi KafkaUser through the Kubernetes API with the pod's service account — here a fake API
// server started by the test, which records every request. A refused caller causes no call.
import { randomUUID } from 'node:crypto';

import { exportJWK, generateKeyPair } from 'jose';

import { SystemsService } from '../src/app/systems/systems.service';
import { FakeKubeApi } from './support/fake-kube-api';
import { getToken, registerClient, startGateway, type GatewayUnderTest } from './support/harness';

jest.setTimeout(180_000);

const NE = 'north-east';

describe('authority clients as Strimzi KafkaUsers (operator mode)', () => {
  let kube: FakeKubeApi;
  let gw: GatewayUnderTest;
  let prefix: string;
  const tokens = {} as Record<'ne' | 'london', string>;
  const users = '/apis/kafka.strimzi.io/v1beta2/namespaces/trellis-test/kafkausers';

  beforeAll(async () => {
    kube = await FakeKubeApi.start();
    prefix = `trellis.rs${randomUUID().slice(0, 8)}.`;
    gw = await startGateway({
      GATEWAY_REGION_TOPIC_PREFIX: prefix,
      GATEWAY_REGION_PRINCIPALS: 'strimzi',
      GATEWAY_STRIMZI_CLUSTER: 'trellis-kafka',
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: String(kube.port),
      GATEWAY_KUBERNETES_SERVICE_ACCOUNT_DIR: kube.dir,
    });
    for (const [k, region, ods] of [
      ['ne', NE, 'YRA01'],
      ['london', 'london', 'YRA06'],
    ] as const) {
      const scope = `region/${region}/systems.write`;
      const c = await registerClient(gw, { scopes: [scope], odsCode: ods, region });
      tokens[k] = await getToken(gw, c, scope);
    }
  });

  afterAll(async () => {
    await gw?.stop();
    await kube?.stop();
  });

  async function post(who: 'ne' | 'london', path: string, body: unknown = {}) {
    const res = await fetch(`${gw.baseUrl}/admin/v1/regions/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function newClient(name: string): Promise<{ id: string; password: string }> {
    const { publicKey } = await generateKeyPair('ES384');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES384' }] };
    const r = await post('ne', `${NE}/authority-clients`, {
      name,
      odsCode: 'YRA01',
      jwks,
      scopes: ['region/north-east/systems.read'],
    });
    expect(r.status).toBe(201);
    const kafka = r.body['kafka'] as { password: string };
    return { id: (r.body['client'] as { id: string }).id, password: kafka.password };
  }

  it('creation writes the KafkaUser (its region only) and answers the password once; re-key patches it; withdrawal deletes it', async () => {
    kube.clear();
    const { publicKey } = await generateKeyPair('ES384');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES384' }] };
    const r = await post('ne', `${NE}/authority-clients`, {
      name: 'North East analytics',
      odsCode: 'YRA01',
      jwks,
      scopes: ['region/north-east/systems.read'],
    });
    expect(r.status).toBe(201);
    const id = (r.body['client'] as { id: string }).id;
    const principal = `region-north-east.${id}`;
    expect(r.body['kafka']).toMatchObject({
      principal,
      topic: `${prefix}north-east.v1`,
      groupPrefix: 'region-north-east.',
      managedBy: 'strimzi',
    });
    const password = (r.body['kafka'] as { password: string }).password;
    const user = kube.requests.find((q) => q.method === 'POST' && q.path === users);
    expect(user?.body).toMatchObject({
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'KafkaUser',
      metadata: { name: principal, labels: { 'strimzi.io/cluster': 'trellis-kafka' } },
      spec: {
        authentication: { type: 'scram-sha-512' },
        authorization: {
          acls: [
            { resource: { type: 'topic', name: `${prefix}north-east.v1`, patternType: 'literal' } },
            { resource: { type: 'group', name: 'region-north-east.', patternType: 'prefix' } },
          ],
        },
      },
    });
    const secret = kube.objects.get(
      `/api/v1/namespaces/trellis-test/secrets/${principal}-password`,
    ) as { data: { password: string } };
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe(password);

    kube.clear();
    const rekey = await post('ne', `${NE}/authority-clients/${id}/kafka-credentials`);
    expect(rekey.status).toBe(200);
    const next = (rekey.body['kafka'] as { password: string; managedBy: string }).password;
    expect(next).not.toBe(password);
    expect(kube.requests.map((q) => `${q.method} ${q.path}`)).toContain(
      `PATCH ${users}/${principal}`,
    );

    kube.clear();
    const gone = await post('ne', `${NE}/authority-clients/${id}/revoke`, { reason: 'ended' });
    expect(gone.status).toBe(200);
    expect(kube.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      `DELETE ${users}/${principal}`,
    ]);
    expect(kube.objects.has(`${users}/${principal}`)).toBe(false);
  });

  it("another region's authority is refused on every act, and the Kubernetes API is never called", async () => {
    const { id } = await newClient('North East console');
    kube.clear();
    const base = {
      name: 'x',
      odsCode: 'YRA01',
      jwks: { keys: [] },
      scopes: ['region/north-east/systems.read'],
    };
    expect((await post('london', `${NE}/authority-clients`, base)).status).toBe(403);
    expect((await post('london', `${NE}/authority-clients/${id}/kafka-credentials`)).status).toBe(
      403,
    );
    expect(
      (await post('london', `${NE}/authority-clients/${id}/revoke`, { reason: 'no' })).status,
    ).toBe(403);
    // the region's own authority, for a client it does not have: refused too
    expect(
      (await post('ne', `${NE}/authority-clients/not-a-client-${id.slice(0, 6)}/kafka-credentials`))
        .status,
    ).toBe(404);
    expect(kube.requests).toEqual([]);
  });

  it("lists the region's authority clients (for the console's actions), its own region only", async () => {
    const { id } = await newClient('North East listed');
    const list = async (who: 'ne' | 'london') => {
      const res = await fetch(`${gw.baseUrl}/admin/v1/regions/${NE}/authority-clients`, {
        headers: { authorization: `Bearer ${tokens[who]}` },
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const ne = await list('ne');
    expect(ne.status).toBe(200);
    expect(ne.body).toMatchObject({ managedBy: 'strimzi', truncated: false });
    const clients = ne.body['clients'] as { id: string; region: string; allowedScopes: string[] }[];
    expect(clients.map((c) => c.id)).toContain(id);
    for (const c of clients) {
      expect(c.region).toBe(NE);
      expect(c.allowedScopes.some((x) => x.startsWith('region/north-east/'))).toBe(true);
    }
    expect((await list('london')).status).toBe(403);
  });

  it('the API server refusing (RBAC 403) is a precise 503 naming the retry, and the retry succeeds', async () => {
    const { id } = await newClient('North East reports');
    kube.failNext('PATCH', /kafkausers\//, 403, 'Forbidden');
    const refused = await post('ne', `${NE}/authority-clients/${id}/kafka-credentials`);
    expect(refused.status).toBe(503);
    expect(JSON.stringify(refused.body)).toContain(`${id}/kafka-credentials`);
    // no KafkaUser is left with a password nobody was told: the failed re-key deleted it
    expect(kube.objects.has(`${users}/region-north-east.${id}`)).toBe(false);
    const retried = await post('ne', `${NE}/authority-clients/${id}/kafka-credentials`);
    expect(retried.status).toBe(200);
    expect((retried.body['kafka'] as { password: string }).password).toHaveLength(32);
  });

  it('a creation whose KafkaUser cannot be completed registers nothing and leaves no KafkaUser', async () => {
    const { publicKey } = await generateKeyPair('ES384');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k9', alg: 'ES384' }] };
    const clientId = `ne-half-${randomUUID().slice(0, 8)}`;
    kube.failNext('POST', /secrets$/, 403, 'Forbidden');
    const r = await post('ne', `${NE}/authority-clients`, {
      clientId,
      name: 'North East half-made',
      odsCode: 'YRA01',
      jwks,
      scopes: ['region/north-east/systems.read'],
    });
    expect(r.status).toBe(503);
    expect(JSON.stringify(r.body)).toContain('retry the creation');
    expect(kube.objects.has(`${users}/region-north-east.${clientId}`)).toBe(false);
    const registered = await gw.handle.app
      .get(SystemsService)
      .get(clientId)
      .then(
        () => true,
        () => false,
      );
    expect(registered).toBe(false);
    // the retry, with the API server answering, makes both
    const again = await post('ne', `${NE}/authority-clients`, {
      clientId,
      name: 'North East half-made',
      odsCode: 'YRA01',
      jwks,
      scopes: ['region/north-east/systems.read'],
    });
    expect(again.status).toBe(201);
    expect(kube.objects.has(`${users}/region-north-east.${clientId}`)).toBe(true);
  });
});
