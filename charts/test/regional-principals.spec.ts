/**
 * Issue 18, Kafka side in operator mode: the gateway writes authority clients' Strimzi KafkaUsers
 * through the Kubernetes API (no values change per client), with its own ServiceAccount and a Role
 * of exactly the verbs it uses; the values-declared clients remain for `managedByGateway: false`.
 */
import { byKind, get, helmTemplate, one, podSpec, render, type Manifest } from './render';

const OPERATORS = ['ci/operators-values.yaml'];
const MINIMAL = ['ci/minimal-values.yaml'];
const env = (ms: Manifest[], n: string): string | undefined =>
  podSpec(one(ms, 'Deployment', 'trellis-gateway')).containers[0]!.env!.find((e) => e.name === n)
    ?.value;

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

describe('authority clients’ KafkaUsers written by the gateway (operator mode)', () => {
  const ms = render(OPERATORS);

  it('runs the gateway alone on its own ServiceAccount, with the API token, in strimzi mode', () => {
    expect(env(ms, 'GATEWAY_REGION_PRINCIPALS')).toBe('strimzi');
    expect(env(ms, 'GATEWAY_STRIMZI_CLUSTER')).toBe('trellis-kafka');
    const gw = podSpec(one(ms, 'Deployment', 'trellis-gateway'));
    expect(gw.serviceAccountName).toBe('trellis-gateway');
    expect(gw.automountServiceAccountToken).toBe(true);
    for (const d of byKind(ms, 'Deployment').filter((x) => x.metadata.name !== 'trellis-gateway')) {
      expect(podSpec(d).serviceAccountName).toBe('trellis');
      expect(podSpec(d).automountServiceAccountToken).toBe(false);
    }
    expect(one(ms, 'ServiceAccount', 'trellis-gateway')).toBeDefined();
  });

  it('grants exactly create/patch/delete on kafkausers and create/patch on Secrets, in the release namespace, to that account only', () => {
    const role = one(ms, 'Role', 'trellis-gateway-kafkausers');
    expect((role as unknown as { metadata: { namespace: string } }).metadata.namespace).toBe(
      'trellis',
    );
    expect(get<Rule[]>(role, 'rules')).toEqual([
      {
        apiGroups: ['kafka.strimzi.io'],
        resources: ['kafkausers'],
        verbs: ['create', 'patch', 'delete'],
      },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'patch'] },
    ]);
    expect(byKind(ms, 'ClusterRole')).toEqual([]);
    const binding = one(ms, 'RoleBinding', 'trellis-gateway-kafkausers');
    expect(get(binding, 'roleRef')).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'trellis-gateway-kafkausers',
    });
    expect(get(binding, 'subjects')).toEqual([
      { kind: 'ServiceAccount', name: 'trellis-gateway', namespace: 'trellis' },
    ]);
    expect(byKind(ms, 'RoleBinding')).toHaveLength(1);
  });

  it('lets the gateway (only) reach the API server', () => {
    type Egress = { ports?: { port: number | string }[]; to?: unknown[] }[];
    const ports = (app: string) =>
      get<Egress>(one(ms, 'NetworkPolicy', `trellis-${app}`), 'spec', 'egress').flatMap((r) =>
        (r.ports ?? []).map((p) => p.port),
      );
    expect(ports('gateway')).toEqual(expect.arrayContaining([443, 6443]));
    expect(ports('identity')).not.toContain(6443);
    const pinned = render(OPERATORS, {}, [
      '--set-json',
      'networkPolicy.egress.kubernetesApi.to=[{"ipBlock":{"cidr":"10.0.0.1/32"}}]',
    ]);
    const rule = get<Egress>(
      one(pinned, 'NetworkPolicy', 'trellis-gateway'),
      'spec',
      'egress',
    ).find((r) => (r.ports ?? []).some((p) => p.port === 6443));
    expect(rule?.to).toEqual([{ ipBlock: { cidr: '10.0.0.1/32' } }]);
  });

  it('managedByGateway=false: no account, no Role, no API egress; the values-declared clients get KafkaUsers (GATEWAY_REGION_PRINCIPALS=none)', () => {
    const clients = [
      { region: 'north-east', client: 'ne-analytics' },
      { region: 'london', client: 'ldn-console' },
    ];
    const off = render(OPERATORS, {}, [
      '--set',
      'strimzi.regionalAuthorities.managedByGateway=false',
      '--set-json',
      `strimzi.regionalAuthorities.clients=${JSON.stringify(clients)}`,
    ]);
    expect(env(off, 'GATEWAY_REGION_PRINCIPALS')).toBe('none');
    expect(env(off, 'GATEWAY_STRIMZI_CLUSTER')).toBeUndefined();
    expect(byKind(off, 'Role')).toEqual([]);
    expect(
      JSON.stringify(get(one(off, 'NetworkPolicy', 'trellis-gateway'), 'spec', 'egress')),
    ).not.toContain('6443');
    expect(podSpec(one(off, 'Deployment', 'trellis-gateway')).automountServiceAccountToken).toBe(
      false,
    );
    const ne = one(off, 'KafkaUser', 'region-north-east.ne-analytics');
    expect(ne.metadata.labels?.['trellis.nhs.uk/region']).toBe('north-east');
    expect(get(ne, 'spec', 'authentication')).toEqual({ type: 'scram-sha-512' });
    expect(get(ne, 'spec', 'authorization', 'acls')).toEqual([
      {
        resource: { type: 'topic', name: 'trellis.region.north-east.v1', patternType: 'literal' },
        operations: ['Describe', 'Read'],
      },
      {
        resource: { type: 'group', name: 'region-north-east.', patternType: 'prefix' },
        operations: ['Describe', 'Read'],
      },
    ]);
    expect(one(off, 'KafkaUser', 'region-london.ldn-console')).toBeDefined();
    // a client of a region the chart does not declare is refused at render time
    const bad = helmTemplate(OPERATORS, {}, [
      '--set-json',
      'strimzi.regionalAuthorities.clients=[{"region":"atlantis","client":"x1"}]',
    ]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('atlantis');
  });

  it('without the operator the gateway creates principals on the broker (no Kubernetes access)', () => {
    const plain = render(MINIMAL);
    expect(env(plain, 'GATEWAY_REGION_PRINCIPALS')).toBe('kafka');
    expect(byKind(plain, 'Role')).toEqual([]);
    expect(byKind(plain, 'ServiceAccount').map((s) => s.metadata.name)).not.toContain(
      'trellis-gateway',
    );
  });

  it('the values schema refuses a non-boolean managedByGateway', () => {
    const r = helmTemplate(OPERATORS, {}, [
      '--set-string',
      'strimzi.regionalAuthorities.managedByGateway=yes',
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('managedByGateway');
  });
});
