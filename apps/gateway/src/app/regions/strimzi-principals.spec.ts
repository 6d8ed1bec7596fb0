import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FakeKubeApi } from '../../../test/support/fake-kube-api';
import { KubernetesApi, KubernetesUnreachable } from './kubernetes-api';
import { type PrincipalSpec } from './principal-store';
import {
  PASSWORD_SET_AT,
  PENDING,
  StrimziPrincipals,
  passwordSecretOf,
} from './strimzi-principals';

const spec = (clientId: string): PrincipalSpec => ({
  region: 'north-east',
  clientId,
  principal: `region-north-east.${clientId}`,
  topic: 'trellis.region.north-east.v1',
  groupPrefix: 'region-north-east.',
});

describe('StrimziPrincipals against a fake Kubernetes API server', () => {
  let kube: FakeKubeApi;
  let store: StrimziPrincipals;
  const users = '/apis/kafka.strimzi.io/v1beta2/namespaces/trellis-test/kafkausers';
  const secrets = '/api/v1/namespaces/trellis-test/secrets';
  let clock = Date.parse('2026-12-07T06:00:00Z');

  beforeAll(async () => {
    kube = await FakeKubeApi.start();
    const api = new KubernetesApi({
      host: '127.0.0.1',
      port: kube.port,
      serviceAccountDir: kube.dir,
    });
    store = new StrimziPrincipals(api, 'trellis-kafka', () => new Date((clock += 1000)));
  });
  afterAll(() => kube.stop());
  beforeEach(() => kube.clear());

  it('creates the KafkaUser (SCRAM-SHA-512, the region ACLs only) pending, its password Secret owned by it from the start, then stamps it', async () => {
    const s = spec('ne-analytics');
    const password = await store.upsert(s);
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(kube.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST ${users}`,
      `PATCH ${secrets}/region-north-east.ne-analytics-password`,
      `POST ${secrets}`,
      `PATCH ${users}/${s.principal}`,
    ]);
    for (const r of kube.requests) expect(r.authorization).toBe(`Bearer ${kube.token}`);
    expect(kube.requests[1]!.contentType).toBe('application/merge-patch+json');
    expect(kube.requests[0]!.body).toMatchObject({
      metadata: { annotations: { [PASSWORD_SET_AT]: PENDING } },
    });
    const uid = (kube.objects.get(`${users}/${s.principal}`)!['metadata'] as { uid: string }).uid;
    const owner = {
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'KafkaUser',
      name: s.principal,
      uid,
    };
    expect(kube.requests[2]!.body).toMatchObject({
      kind: 'Secret',
      metadata: {
        name: 'region-north-east.ne-analytics-password',
        labels: { 'trellis.nhs.uk/authority-client': 'ne-analytics' },
        ownerReferences: [owner],
      },
      data: { password: Buffer.from(password).toString('base64') },
    });
    const user = kube.requests[3]!.body as Record<string, unknown>;
    expect(user).toEqual({
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'KafkaUser',
      metadata: {
        name: 'region-north-east.ne-analytics',
        labels: {
          'app.kubernetes.io/managed-by': 'trellis-gateway',
          'strimzi.io/cluster': 'trellis-kafka',
          'trellis.nhs.uk/region': 'north-east',
          'trellis.nhs.uk/authority-client': 'ne-analytics',
        },
        annotations: { [PASSWORD_SET_AT]: '2026-12-07T06:00:01.000Z' },
      },
      spec: {
        authentication: {
          type: 'scram-sha-512',
          password: {
            valueFrom: {
              secretKeyRef: { name: 'region-north-east.ne-analytics-password', key: 'password' },
            },
          },
        },
        authorization: {
          type: 'simple',
          acls: [
            {
              resource: {
                type: 'topic',
                name: 'trellis.region.north-east.v1',
                patternType: 'literal',
              },
              operations: ['Describe', 'Read'],
            },
            {
              resource: { type: 'group', name: 'region-north-east.', patternType: 'prefix' },
              operations: ['Describe', 'Read'],
            },
          ],
        },
        template: {
          secret: { metadata: { annotations: { [PASSWORD_SET_AT]: '2026-12-07T06:00:01.000Z' } } },
        },
      },
    });
  });

  it('re-keys: the KafkaUser pending, a new password in its Secret, then a new stamp so the operator applies it now', async () => {
    const s = spec('ne-rekey');
    const first = await store.upsert(s);
    const before = (
      kube.objects.get(`${users}/${s.principal}`) as {
        metadata: { annotations: Record<string, string> };
      }
    ).metadata.annotations[PASSWORD_SET_AT]!;
    kube.clear();
    const second = await store.upsert(s);
    expect(second).not.toBe(first);
    expect(kube.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST ${users}`,
      `PATCH ${users}/${s.principal}`,
      `PATCH ${secrets}/${passwordSecretOf(s.principal)}`,
      `PATCH ${users}/${s.principal}`,
    ]);
    expect(kube.requests[2]!.body).toMatchObject({
      data: { password: Buffer.from(second).toString('base64') },
    });
    const stored = kube.objects.get(`${users}/${s.principal}`) as {
      metadata: { annotations: Record<string, string> };
      spec: { template: { secret: { metadata: { annotations: Record<string, string> } } } };
    };
    const stamp = stored.metadata.annotations[PASSWORD_SET_AT];
    expect(stamp! > before).toBe(true);
    expect(stored.spec.template.secret.metadata.annotations[PASSWORD_SET_AT]).toBe(stamp);
    expect(kube.requests[3]!.contentType).toBe('application/merge-patch+json');
    const secret = kube.objects.get(`${secrets}/${passwordSecretOf(s.principal)}`) as {
      data: { password: string };
    };
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe(second);
  });

  it('removes: deletes the KafkaUser (its Secrets go with it); an absent one is not an error', async () => {
    const s = spec('ne-gone');
    await store.upsert(s);
    kube.clear();
    await store.remove(s);
    expect(kube.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `DELETE ${users}/${s.principal}`,
    ]);
    expect(kube.objects.has(`${users}/${s.principal}`)).toBe(false);
    await expect(store.remove(s)).resolves.toBeUndefined();
  });

  it('a refusal of the API server (RBAC 403, invalid 422) fails the call with its message; nothing after it is sent', async () => {
    kube.failNext('POST', /kafkausers$/, 403, 'Forbidden');
    await expect(store.upsert(spec('ne-forbidden'))).rejects.toThrow(
      /KafkaUser region-north-east\.ne-forbidden: 403 Forbidden \(fake\)/,
    );
    expect(kube.requests.filter((r) => r.path.includes('kafkausers'))).toHaveLength(1);
    kube.clear();
    kube.failNext('PATCH', /secrets\//, 422, 'Invalid');
    await expect(store.upsert(spec('ne-invalid'))).rejects.toThrow(/422 Invalid/);
    expect(kube.requests).toHaveLength(2);
    kube.failNext('DELETE', /kafkausers\//, 403, 'Forbidden');
    await expect(store.remove(spec('ne-invalid'))).rejects.toThrow(/403 Forbidden/);
  });

  it('a write failing after the KafkaUser leaves only owned objects: removing the KafkaUser leaves nothing behind', async () => {
    // the Secret refused: no Secret at all
    const a = spec('ne-part-secret');
    kube.failNext('POST', /secrets$/, 500, 'InternalError');
    await expect(store.upsert(a)).rejects.toThrow(/Secret .*500/);
    expect(kube.objects.has(`${secrets}/${passwordSecretOf(a.principal)}`)).toBe(false);
    await store.remove(a);
    expect(kube.objects.has(`${users}/${a.principal}`)).toBe(false);
    // the stamp refused: the Secret exists, owned by the KafkaUser the compensation deletes
    const b = spec('ne-part-stamp');
    kube.failNext('PATCH', /kafkausers\//, 500, 'InternalError');
    await expect(store.upsert(b)).rejects.toThrow(/KafkaUser .*500/);
    const uid = (kube.objects.get(`${users}/${b.principal}`)!['metadata'] as { uid: string }).uid;
    const secret = kube.objects.get(`${secrets}/${passwordSecretOf(b.principal)}`) as {
      metadata: { ownerReferences: { uid: string }[] };
    };
    expect(secret.metadata.ownerReferences.map((o) => o.uid)).toEqual([uid]);
    await store.remove(b);
    expect(kube.objects.has(`${users}/${b.principal}`)).toBe(false);
  });

  it('a wrong token is refused (401) and an unreachable API server is named as such', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wrong-sa-'));
    cpSync(kube.dir, dir, { recursive: true });
    writeFileSync(join(dir, 'token'), 'not-the-token');
    const wrong = new KubernetesApi({ host: '127.0.0.1', port: kube.port, serviceAccountDir: dir });
    await expect(
      new StrimziPrincipals(wrong, 'trellis-kafka').upsert(spec('ne-x')),
    ).rejects.toThrow(/401/);
    rmSync(dir, { recursive: true, force: true });
    const down = new KubernetesApi({ host: '127.0.0.1', port: 1, serviceAccountDir: kube.dir });
    await expect(
      new StrimziPrincipals(down, 'trellis-kafka').remove(spec('ne-x')),
    ).rejects.toBeInstanceOf(KubernetesUnreachable);
  });
});
