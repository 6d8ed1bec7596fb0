/**
 * The gateway's back ends in the chart: the conformance service (issue 16) and the audit store
 * (issue 19). Each is an app like the others (Deployment, Service, HPA, PDB, migration Job,
 * Kafka user) but answers the gateway alone, and the conformance service reads the declared
 * compliance policy from values. Every test runs the real `helm template`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadPolicy } from '../../apps/conformance/src/app/policy/policy';
import { Manifest, byKind, get, helmTemplate, one, podSpec, render } from './render';

const PRODUCTION = ['ci/production-values.yaml'];
const MINIMAL = ['ci/minimal-values.yaml'];
const OPERATORS = ['ci/operators-values.yaml'];
const BACKENDS = ['conformance', 'audit'] as const;
const name = (app: string): string => `trellis-${app}`;

interface Rule {
  from?: { podSelector?: { matchExpressions?: { values: string[] }[] } }[];
  ports?: { port: number | string }[];
}

const envOf = (ms: Manifest[], app: string): Map<string, string | undefined> =>
  new Map(
    podSpec(one(ms, 'Deployment', name(app))).containers[0]!.env!.map((e) => [e.name, e.value]),
  );

describe('the gateway’s back ends: conformance service and audit store', () => {
  const ms = render(PRODUCTION);

  it.each(BACKENDS)('%s: Deployment, Service, HPA, PDB and migration Job', (app) => {
    expect(get(one(ms, 'Service', name(app)), 'spec', 'selector')).toMatchObject({
      'app.kubernetes.io/component': app,
    });
    expect(get(one(ms, 'HorizontalPodAutoscaler', name(app)), 'spec', 'scaleTargetRef')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: name(app),
    });
    expect(get(one(ms, 'PodDisruptionBudget', name(app)), 'spec', 'maxUnavailable')).toBe(1);
    const job = one(ms, 'Job', `${name(app)}-migrate`);
    expect(podSpec(job).containers[0]!.args).toEqual([
      'tools/prisma/cli.js',
      app,
      'migrate-deploy',
      '--schema',
      '$(DATABASE_SCHEMA)',
    ]);
    const env = envOf(ms, app);
    expect(env.get('DATABASE_SCHEMA')).toBe(app);
    expect(env.get('GATEWAY_URL')).toBe('http://trellis-gateway.trellis.svc:8080');
    const url = podSpec(one(ms, 'Deployment', name(app))).containers[0]!.env!.find(
      (e) => e.name === 'DATABASE_URL',
    )?.valueFrom?.secretKeyRef;
    expect(url).toEqual({ name: 'trellis-database', key: `${app}-url` });
  });

  it('gives the gateway the back ends’ gRPC addresses', () => {
    const env = envOf(ms, 'gateway');
    expect(env.get('CONFORMANCE_GRPC_ADDR')).toBe('trellis-conformance.trellis.svc:50051');
    expect(env.get('AUDIT_GRPC_ADDR')).toBe('trellis-audit.trellis.svc:50051');
  });

  it.each(BACKENDS)('%s admits the gateway alone on its gRPC and HTTP ports', (app) => {
    const rules = get<Rule[]>(one(ms, 'NetworkPolicy', name(app)), 'spec', 'ingress');
    const serving = rules.filter((r) => r.ports?.some((p) => p.port === 'http'));
    expect(serving).toHaveLength(1);
    const callers = serving[0]!.from!.flatMap(
      (f) => f.podSelector?.matchExpressions?.[0]?.values ?? [],
    );
    expect(callers).toEqual(['gateway']);
  });

  it('lets the gateway and the platforms reach the back ends (egress to every app)', () => {
    const egress = get<{ to?: Rule['from'] }[]>(
      one(ms, 'NetworkPolicy', name('gateway')),
      'spec',
      'egress',
    );
    const peers = egress.flatMap((r) =>
      (r.to ?? []).flatMap((t) => t.podSelector?.matchExpressions?.[0]?.values ?? []),
    );
    expect(peers).toEqual(expect.arrayContaining(['conformance', 'audit']));
  });

  it('limits their Kafka writes to their own topics (and the regional streams for flags)', () => {
    const ops = render(OPERATORS);
    const writes = (app: string): string[] =>
      get<{ resource: { name: string; patternType: string }; operations: string[] }[]>(
        one(ops, 'KafkaUser', `trellis-kafka-${app}`),
        'spec',
        'authorization',
        'acls',
      )
        .filter((a) => a.operations.includes('Write') && a.resource.patternType === 'prefix')
        .map((a) => a.resource.name);
    expect(writes('conformance')).toEqual(['trellis.conformance.']);
    expect(writes('audit')).toEqual(['trellis.audit.', 'trellis.region.']);
  });

  it('can be left out: no objects and no addresses for a disabled back end', () => {
    const off = render(MINIMAL, {}, [
      '--set',
      'services.conformance.enabled=false,services.audit.enabled=false',
    ]);
    for (const app of BACKENDS)
      expect(off.filter((m) => m.metadata.name.startsWith(name(app)))).toEqual([]);
    const env = envOf(off, 'gateway');
    expect(env.has('CONFORMANCE_GRPC_ADDR')).toBe(false);
    expect(env.has('AUDIT_GRPC_ADDR')).toBe(false);
  });
});

describe('the declared compliance policy', () => {
  it('is absent by default: the service runs the shipped national minimum', () => {
    const ms = render(MINIMAL);
    expect(
      byKind(ms, 'ConfigMap').filter((c) => c.metadata.name === 'trellis-conformance-policy'),
    ).toEqual([]);
    expect(envOf(ms, 'conformance').has('CONFORMANCE_POLICY_FILE')).toBe(false);
  });

  it('is rendered into a ConfigMap the service loads, and a change rolls the pods', () => {
    const ms = render(PRODUCTION);
    const cm = one(ms, 'ConfigMap', 'trellis-conformance-policy');
    const json = get<string>(cm, 'data', 'policy.json');
    const file = join(mkdtempSync(join(tmpdir(), 'trellis-policy-')), 'policy.json');
    writeFileSync(file, json);
    // the service's own loader accepts what the chart renders
    expect(loadPolicy(file).version).toBe('national-2027-1');
    expect(envOf(ms, 'conformance').get('CONFORMANCE_POLICY_FILE')).toBe(
      '/etc/trellis/conformance-policy/policy.json',
    );
    const spec = podSpec(one(ms, 'Deployment', name('conformance')));
    expect(spec.volumes!.find((v) => v.name === 'conformance-policy')).toMatchObject({
      configMap: { name: 'trellis-conformance-policy' },
    });
    const checksum = (m: Manifest[]): string =>
      get<string>(
        one(m, 'Deployment', name('conformance')),
        'spec',
        'template',
        'metadata',
        'annotations',
        'checksum/config',
      );
    const changed = render(PRODUCTION, {}, [
      '--set',
      'services.conformance.policy.overrideHours=48',
    ]);
    expect(checksum(changed)).not.toBe(checksum(ms));
  });

  it.each([
    ['no version', '{"thresholds":{}}', "missing property 'version'"],
    ['a bad version', '{"version":"Not Valid","thresholds":{}}', '/policy/version'],
    ['an unknown key', '{"version":"p-1","thresholds":{},"thresold":1}', "'thresold' not allowed"],
    [
      'a threshold out of range',
      '{"version":"p-1","thresholds":{"error":{"windowMinutes":1,"minRequests":1,"warnAbove":2,"enforceAbove":1,"graceMinutes":0,"recoverAtOrBelow":0,"minEnforcedMinutes":0}}}',
      '/thresholds/error/warnAbove',
    ],
    [
      'an unknown severity',
      '{"version":"p-1","thresholds":{},"severities":{"x":"fatal"}}',
      '/severities/x',
    ],
  ])('refuses a policy with %s', (_case, policy, message) => {
    const r = helmTemplate(MINIMAL, {}, ['--set-json', `services.conformance.policy=${policy}`]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
  });
});
