/**
 * What an operator runs the chart with: alerts and a dashboard over the metrics the apps really
 * export, Kafka metrics, checks that refuse unsafe timings, TLS to PostgreSQL and Kafka, egress
 * limited to known destinations, and the Gateway API in front of the gateway.
 * Every test runs the real `helm template`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DEV_SET, Manifest, ROOT, byKind, get, helmTemplate, one, podSpec, render } from './render';

const CI = {
  minimal: ['ci/minimal-values.yaml'],
  production: ['ci/production-values.yaml'],
  operators: ['ci/operators-values.yaml'],
};
const name = (app: string): string => `trellis-${app}`;
const DB_APPS = [
  'gateway',
  'identity',
  'appointments',
  'referrals',
  'results',
  'router',
  'conformance',
  'audit',
  'notifications',
];

/** Prometheus names of every trellis.* instrument created in the libraries' source. */
function exportedMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/'(trellis(?:\.[a-z_]+){2,})'/g)) {
          names.add(m[1]!.replace(/\./g, '_'));
        }
      }
    }
  };
  for (const lib of ['telemetry', 'events']) walk(join(ROOT, 'libs', lib, 'src'));
  return names;
}

/** trellis_* series a PromQL text reads, without the histogram suffixes. */
const trellisSeries = (promql: string): string[] =>
  [...promql.matchAll(/\b(trellis_[a-z_]+?)(?:_bucket|_count|_sum)?\{/g)].map((m) => m[1]!);

interface Rule {
  alert: string;
  expr: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}
const rulesOf = (ms: Manifest[]): Rule[] =>
  get<{ rules: Rule[] }[]>(one(ms, 'PrometheusRule', 'trellis'), 'spec', 'groups').flatMap(
    (g) => g.rules,
  );

describe('alerts (PrometheusRule)', () => {
  const production = render(CI.production);

  it('covers what hurts a national service', () => {
    expect(rulesOf(production).map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'TrellisOutboxBacklogStale',
        'TrellisConsumerLag',
        'TrellisRegionalConsumerLag',
        'TrellisDeadLetters',
        'TrellisTokenEndpointErrors',
        'TrellisHttpServerErrors',
        'TrellisGrpcServerErrors',
        'TrellisFhirLatencyP99',
        'TrellisGrpcLatencyP99',
        'TrellisCertificateExpiring',
        'TrellisConnectedSystemChanged',
        'TrellisComplianceEnforcement',
        'TrellisTargetDown',
      ]),
    );
    for (const r of rulesOf(production)) {
      expect(['critical', 'warning', 'info']).toContain(r.labels.severity);
      expect(r.annotations.summary.length).toBeGreaterThan(0);
    }
    // selected by the Prometheus Operator's ruleSelector
    expect(one(production, 'PrometheusRule', 'trellis').metadata.labels).toMatchObject({
      release: 'kube-prometheus-stack',
    });
  });

  it('reads only metrics the apps export, scoped to the release', () => {
    const exported = exportedMetrics();
    expect(exported).toContain('trellis_events_outbox_oldest_age');
    const used = rulesOf(production).flatMap((r) => trellisSeries(r.expr));
    expect(used.length).toBeGreaterThan(8);
    expect(used.filter((m) => !exported.has(m))).toEqual([]);
    for (const r of rulesOf(production).filter((x) => /\btrellis_/.test(x.expr))) {
      expect(r.expr).toContain('namespace="trellis", job=~"trellis-.+"');
    }
  });

  it('takes its thresholds from values (the outbox gauge is in milliseconds)', () => {
    const ms = render(CI.production, {}, [
      '--set',
      'metrics.prometheusRule.thresholds.outboxOldestAgeSeconds=120',
      '--set-json',
      'metrics.prometheusRule.thresholds.fhirP99Seconds=0.8',
    ]);
    const byName = new Map(rulesOf(ms).map((r) => [r.alert, r.expr]));
    expect(byName.get('TrellisOutboxBacklogStale')).toMatch(/\/ 1000 > 120$/);
    expect(byName.get('TrellisFhirLatencyP99')).toMatch(/> 0\.8$/);
  });

  it('is off unless asked for', () => {
    expect(byKind(render(CI.minimal), 'PrometheusRule')).toEqual([]);
  });
});

describe('dashboard', () => {
  it('ships a Grafana dashboard ConfigMap over the exported metrics and the Kafka Exporter', () => {
    const cm = one(render(CI.production), 'ConfigMap', 'trellis-dashboard');
    expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    const dashboard = JSON.parse(get<string>(cm, 'data', 'trellis.json')) as {
      uid: string;
      panels: { title: string; targets: { expr: string }[] }[];
    };
    expect(dashboard.uid).toBe('trellis-overview');
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    const exported = exportedMetrics();
    expect(exprs.flatMap(trellisSeries).filter((m) => !exported.has(m))).toEqual([]);
    expect(exprs.join('\n')).toContain('kafka_consumergroup_lag');
    expect(exprs.join('\n')).toContain('http_route="POST /oauth2/token"');
  });
});

describe('Kafka metrics (Strimzi)', () => {
  it('runs the Kafka Exporter and JMX metrics, scraped by a PodMonitor', () => {
    const ms = render(CI.operators);
    const kafka = one(ms, 'Kafka', 'trellis-kafka');
    expect(get(kafka, 'spec', 'kafkaExporter')).toMatchObject({ topicRegex: 'trellis\\..+' });
    const ref = get<{ name: string; key: string }>(
      kafka,
      'spec',
      'kafka',
      'metricsConfig',
      'valueFrom',
      'configMapKeyRef',
    );
    expect(get(one(ms, 'ConfigMap', ref.name), 'data', ref.key)).toContain('rules:');
    const pm = one(ms, 'PodMonitor', 'trellis-kafka');
    expect(get(pm, 'spec', 'selector', 'matchLabels')).toEqual({
      'strimzi.io/cluster': 'trellis-kafka',
    });
  });
});

describe('checks that refuse unsafe settings', () => {
  it('refuses a shutdown (drain + timeout) that does not fit the grace period', () => {
    const r = helmTemplate(CI.minimal, {}, ['--set', 'config.shutdownTimeoutMs=26000']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('(31000 ms) must be below terminationGracePeriodSeconds (30 s)');
    // a longer grace period for every app makes the same timings valid
    const ok = helmTemplate(CI.minimal, {}, [
      '--set',
      'config.shutdownTimeoutMs=26000',
      '--set',
      'serviceDefaults.terminationGracePeriodSeconds=40',
    ]);
    expect(ok.stderr).toBe('');
  });

  it('checks each app with its own grace period', () => {
    const r = helmTemplate(CI.minimal, {}, [
      '--set',
      'services.router.terminationGracePeriodSeconds=10',
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('router: config.shutdownDrainDelayMs + config.shutdownTimeoutMs');
  });

  it('refuses an autoscaler whose minimum is above its maximum', () => {
    const r = helmTemplate(CI.production, {}, [
      '--set',
      'services.gateway.autoscaling.minReplicas=50',
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      'gateway: autoscaling.minReplicas (50) is above autoscaling.maxReplicas (40)',
    );
  });

  it('needs config.publicBaseUrl whenever the gateway is exposed', () => {
    for (const expose of [
      ['--set', 'ingress.enabled=true'],
      ['--set', 'gatewayApi.enabled=true', '--set', 'gatewayApi.parentRefs[0].name=public'],
    ]) {
      const r = helmTemplate(CI.minimal, {}, expose);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('config.publicBaseUrl is required when the gateway is exposed');
    }
  });
});

describe('transport security', () => {
  type Env = { name: string; value?: string }[];
  const envOf = (m: Manifest): Env => podSpec(m).containers[0]!.env as Env;
  const value = (env: Env, key: string): string | undefined =>
    env.find((e) => e.name === key)?.value;

  it('verifies PostgreSQL’s certificate in production: every pod that connects gets the mode and the CA', () => {
    const ms = render(CI.production);
    const connecting = [
      ...DB_APPS.map((app) => one(ms, 'Deployment', name(app))),
      ...byKind(ms, 'Job').filter((j) => j.metadata.name.endsWith('-migrate')),
    ];
    expect(connecting).toHaveLength(DB_APPS.length * 2);
    for (const m of connecting) {
      const env = envOf(m);
      expect(value(env, 'PGSSLMODE')).toBe('verify-full');
      expect(value(env, 'PGSSLROOTCERT')).toBe('/etc/trellis/postgres-ca/ca.crt');
      const volume = podSpec(m).volumes!.find((v) => v.name === 'postgres-ca');
      expect(volume?.secret).toMatchObject({ secretName: 'trellis-postgres-ca' });
      expect(podSpec(m).containers[0]!.volumeMounts).toContainEqual(
        expect.objectContaining({ name: 'postgres-ca', mountPath: '/etc/trellis/postgres-ca' }),
      );
    }
  });

  it('trusts CloudNativePG’s own CA in operator mode, and leaves TLS to the URL when unset', () => {
    const ops = one(render(CI.operators), 'Deployment', name('identity'));
    expect(value(envOf(ops), 'PGSSLMODE')).toBe('verify-full');
    expect(podSpec(ops).volumes!.find((v) => v.name === 'postgres-ca')?.secret).toMatchObject({
      secretName: 'trellis-pg-ca',
    });
    const minimal = one(render(CI.minimal), 'Deployment', name('identity'));
    expect(value(envOf(minimal), 'PGSSLMODE')).toBeUndefined();
    expect(podSpec(minimal).volumes!.find((v) => v.name === 'postgres-ca')).toBeUndefined();
  });

  it('refuses a PostgreSQL CA without a TLS mode', () => {
    const r = helmTemplate(CI.minimal, {}, ['--set', 'database.tls.caSecret=pg-ca']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('database.tls.caSecret needs database.tls.sslmode');
  });

  it('talks TLS to Kafka by default; plaintext only when a values file says so', () => {
    const byDefault = one(render([], DEV_SET), 'Deployment', name('identity'));
    expect(value(envOf(byDefault), 'KAFKA_SSL')).toBe('true');
    const production = one(render(CI.production), 'Deployment', name('identity'));
    expect(value(envOf(production), 'KAFKA_SSL')).toBe('true');
    const minimal = one(render(CI.minimal), 'Deployment', name('identity'));
    expect(value(envOf(minimal), 'KAFKA_SSL')).toBe('false');
  });
});

describe('egress', () => {
  interface Rule {
    ports?: { port: number | string }[];
    to?: { ipBlock?: { cidr: string; except?: string[] } }[];
  }
  const egressOf = (ms: Manifest[], app: string): Rule[] =>
    get<Rule[]>(one(ms, 'NetworkPolicy', name(app)), 'spec', 'egress');

  it('lets only the gateway (connected systems’ JWKS) and the notifications service (rest-hooks) out on HTTPS, to public addresses', () => {
    const ms = render(CI.production);
    const https = egressOf(ms, 'gateway').filter((r) => r.ports?.some((p) => p.port === 443));
    expect(https).toHaveLength(1);
    expect(https[0]!.to).toEqual([
      {
        ipBlock: {
          cidr: '0.0.0.0/0',
          except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'],
        },
      },
    ]);
    for (const app of DB_APPS.filter((a) => a !== 'gateway' && a !== 'notifications')) {
      expect(egressOf(ms, app).some((r) => r.ports?.some((p) => p.port === 443))).toBe(false);
    }
  });

  it('adds the extra egress rules (escape hatch) to every app', () => {
    const ms = render(CI.production, {}, [
      '--set',
      'networkPolicy.egress.extra[0].ports[0].port=3128',
      '--set',
      'networkPolicy.egress.extra[0].to[0].ipBlock.cidr=10.40.0.10/32',
    ]);
    for (const app of DB_APPS) {
      expect(egressOf(ms, app)).toContainEqual({
        ports: [{ port: 3128 }],
        to: [{ ipBlock: { cidr: '10.40.0.10/32' } }],
      });
    }
  });
});

describe('Gateway API', () => {
  const ms = render(CI.production);

  it('routes HTTPS to the gateway’s HTTP port and gRPC to its front door, with no Ingress', () => {
    expect(byKind(ms, 'Ingress')).toEqual([]);
    const http = one(ms, 'HTTPRoute', name('gateway'));
    expect(get(http, 'spec', 'parentRefs')).toEqual([
      { name: 'public', namespace: 'gateway-system', sectionName: 'https' },
    ]);
    expect(get(http, 'spec', 'hostnames')).toEqual(['api.trellis.example.nhs.uk']);
    expect(get(http, 'spec', 'rules', 0, 'backendRefs')).toEqual([
      { name: name('gateway'), port: 8080 },
    ]);
    const grpc = one(ms, 'GRPCRoute', `${name('gateway')}-front-door`);
    expect(get(grpc, 'spec', 'hostnames')).toEqual(['grpc.trellis.example.nhs.uk']);
    expect(get(grpc, 'spec', 'rules', 0, 'backendRefs')).toEqual([
      { name: name('gateway'), port: 50052 },
    ]);
  });

  it('needs a Gateway to attach to', () => {
    const r = helmTemplate(CI.minimal, {}, [
      '--set',
      'gatewayApi.enabled=true',
      '--set',
      'config.publicBaseUrl=https://api.example.nhs.uk',
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('/gatewayApi/parentRefs');
  });
});
