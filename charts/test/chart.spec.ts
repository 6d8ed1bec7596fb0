/**
 * Properties of the rendered charts/trellis manifests that matter in production: probes,
 * pod hardening, network isolation, migration hooks, secret handling, autoscaling, operators'
 * resources and the values schema refusing bad input. Every test runs the real `helm template`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import {
  APPS,
  CHART,
  Container,
  DEV_SET,
  Manifest,
  byKind,
  get,
  helmTemplate,
  one,
  podSpec,
  render,
} from './render';

const CI = {
  minimal: ['ci/minimal-values.yaml'],
  production: ['ci/production-values.yaml'],
  operators: ['ci/operators-values.yaml'],
};
const name = (app: string): string => `trellis-${app}`;
/** Apps with a PostgreSQL schema by default (all of them: the router keeps its inbox/outbox). */
const DB_APPS: readonly string[] = APPS;

const workloads = (ms: Manifest[]): Manifest[] =>
  ms.filter((m) => ['Deployment', 'Job', 'Pod'].includes(m.kind));

describe.each(Object.entries(CI))('%s scenario', (_scenario, files) => {
  const manifests = render(files);

  it('renders a Deployment, Service and NetworkPolicy per app', () => {
    for (const app of APPS) {
      one(manifests, 'Deployment', name(app));
      const svc = one(manifests, 'Service', name(app));
      const ports = get<{ name: string; port: number; appProtocol: string }[]>(
        svc,
        'spec',
        'ports',
      );
      expect(ports.find((p) => p.name === 'grpc')).toMatchObject({
        port: 50051,
        appProtocol: 'grpc',
      });
      expect(ports.find((p) => p.name === 'http')).toMatchObject({ port: 8080 });
      one(manifests, 'NetworkPolicy', name(app));
    }
  });

  it('probes every app with native gRPC health checks (startup, readiness, liveness)', () => {
    // the console is a static web server: HTTP probes (console.spec.ts)
    for (const d of byKind(manifests, 'Deployment').filter(
      (m) => m.metadata.name !== name('console'),
    )) {
      const c = podSpec(d).containers[0]!;
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
        expect(c[probe]).toBeDefined();
        expect(get(c, probe, 'grpc', 'port')).toBe(50051);
        expect(get(c, probe)).not.toHaveProperty('httpGet');
        expect(get(c, probe)).not.toHaveProperty('exec');
      }
      // readiness = whole server (its registered checks); liveness = process up, so a database
      // outage makes pods unready instead of restarting them
      expect(get(c, 'readinessProbe', 'grpc', 'service')).toBe('');
      expect(get(c, 'livenessProbe', 'grpc', 'service')).toBe('liveness');
      // startup allows a slow boot without making liveness lax: ≥ 60 s before liveness applies
      expect(
        get<number>(c, 'startupProbe', 'periodSeconds') *
          get<number>(c, 'startupProbe', 'failureThreshold'),
      ).toBeGreaterThanOrEqual(60);
    }
  });

  it('hardens every pod: non-root, read-only root, no capabilities, RuntimeDefault seccomp, writable /tmp only', () => {
    const all = workloads(manifests);
    expect(all.length).toBeGreaterThan(APPS.length);
    for (const w of all) {
      const spec = podSpec(w);
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      // an API token only for the gateway writing KafkaUsers, on its own account (regional-principals.spec.ts)
      const gatewayAccount = spec.serviceAccountName === 'trellis-gateway';
      expect(spec.automountServiceAccountToken).toBe(gatewayAccount);
      if (gatewayAccount) expect(w.metadata.name).toBe(name('gateway'));
      for (const c of spec.containers) {
        expect(c.securityContext).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          privileged: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
        expect(get(c, 'resources', 'limits', 'memory')).toBeDefined();
        expect(get(c, 'resources', 'requests', 'cpu')).toBeDefined();
      }
      const tmp = (spec.volumes ?? []).find((v) => v.name === 'tmp');
      expect(tmp?.emptyDir).toHaveProperty('sizeLimit');
    }
    for (const sa of byKind(manifests, 'ServiceAccount'))
      expect(sa['automountServiceAccountToken']).toBe(false);
  });

  it('never puts a credential in plain env or a ConfigMap', () => {
    for (const w of workloads(manifests)) {
      for (const c of podSpec(w).containers) {
        for (const e of c.env ?? []) {
          if (/PASSWORD|DATABASE_URL|SECRET|TOKEN/.test(e.name)) {
            expect(e.value).toBeUndefined();
            expect(e.valueFrom?.secretKeyRef).toBeDefined();
          }
        }
      }
    }
    for (const cm of byKind(manifests, 'ConfigMap')) {
      expect(JSON.stringify(cm['data'])).not.toMatch(/password|postgres(ql)?:\/\//i);
    }
    // production-like scenarios rely on existing Secrets only
    expect(byKind(manifests, 'Secret')).toEqual([]);
  });

  it('runs one migration Job per app as a hook before the new pods, with the migrate CLI', () => {
    const jobs = byKind(manifests, 'Job').filter(
      (j) => j.metadata.labels?.['app.kubernetes.io/component'] === 'migrations',
    );
    expect(jobs.map((j) => j.metadata.labels?.['trellis.nhs.uk/app']).sort()).toEqual(
      [...DB_APPS].sort(),
    );
    for (const job of jobs) {
      const app = job.metadata.labels!['trellis.nhs.uk/app']!;
      const a = job.metadata.annotations!;
      expect(a['helm.sh/hook']!.split(',')).toContain('pre-upgrade');
      expect(a['helm.sh/hook-delete-policy']).toBe('before-hook-creation');
      const spec = podSpec(job);
      expect(spec.serviceAccountName).toBe('trellis-hooks');
      const c = spec.containers[0]!;
      expect([...(c.command ?? []), ...(c.args ?? [])]).toEqual([
        'node',
        'tools/prisma/cli.js',
        app,
        'migrate-deploy',
        '--schema',
        '$(DATABASE_SCHEMA)',
      ]);
      expect(c.image).toMatch(new RegExp(`/${app}:`));
      expect(c.env).toContainEqual({ name: 'DATABASE_SCHEMA', value: app });
      expect(c.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef).toBeDefined();
      expect(c.env?.some((e) => e.name.startsWith('KAFKA_'))).toBe(false);
      expect(get(job, 'spec', 'backoffLimit')).toBeGreaterThan(0);
      expect(get(job, 'spec', 'activeDeadlineSeconds')).toBeGreaterThan(0);
      // the hook ServiceAccount is created before the Job (lower weight)
      const sa = one(manifests, 'ServiceAccount', 'trellis-hooks');
      expect(Number(sa.metadata.annotations!['helm.sh/hook-weight'])).toBeLessThan(
        Number(a['helm.sh/hook-weight']),
      );
    }
  });

  it('wires the platform config: JWKS from the gateway, Prometheus port, shutdown inside the grace period', () => {
    const cm = byKind(manifests, 'ConfigMap')[0]!['data'] as Record<string, string>;
    expect(cm['PROMETHEUS_PORT']).toBe('9464');
    for (const app of APPS) {
      const d = one(manifests, 'Deployment', name(app));
      const env = podSpec(d).containers[0]!.env!;
      const jwks = env.find((e) => e.name === 'AUTH_JWKS_URL')?.value;
      const keyFile = env.find((e) => e.name === 'GATEWAY_SIGNING_KEY_FILE')?.value;
      const keyMount = podSpec(d).containers[0]!.volumeMounts!.find(
        (m) => m.name === 'signing-keys',
      );
      if (app === 'gateway') {
        expect(jwks).toBeUndefined();
        // the signing key ring comes from an existing Secret, mounted read-only
        expect(keyFile).toBe('/etc/trellis/signing-keys/signing-keys.json');
        expect(keyMount).toEqual({
          name: 'signing-keys',
          mountPath: '/etc/trellis/signing-keys',
          readOnly: true,
        });
        const vol = podSpec(d).volumes!.find((v) => v.name === 'signing-keys');
        expect(get(vol, 'secret', 'secretName')).toBe('trellis-gateway-signing-keys');
      } else {
        expect(jwks).toBe('http://trellis-gateway.trellis.svc:8080/.well-known/jwks.json');
        expect(keyFile).toBeUndefined();
        expect(keyMount).toBeUndefined();
      }
      expect(env).toContainEqual({ name: 'SERVICE_NAME', value: app });
      // every other app's gRPC address, e.g. IDENTITY_GRPC_ADDR for appointments
      for (const peer of APPS) {
        const addr = env.find((e) => e.name === `${peer.toUpperCase()}_GRPC_ADDR`)?.value;
        if (peer === app) expect(addr).toBeUndefined();
        else expect(addr).toBe(`trellis-${peer}.trellis.svc:50051`);
      }
      const graceMs =
        get<number>(d, 'spec', 'template', 'spec', 'terminationGracePeriodSeconds') * 1000;
      expect(
        Number(cm['SHUTDOWN_DRAIN_DELAY_MS']) + Number(cm['SHUTDOWN_TIMEOUT_MS']),
      ).toBeLessThan(graceMs);
    }
  });

  it('ships a helm test pod that checks every app over grpc.health.v1', () => {
    const pod = one(manifests, 'Pod', 'trellis-test-grpc-health');
    expect(pod.metadata.annotations!['helm.sh/hook']).toBe('test');
    const c = podSpec(pod).containers[0]!;
    expect(c.args?.[0]).toBe('tools/docker/grpc-health-check.js');
    expect(c.args?.filter((a) => a.endsWith(':50051')).sort()).toEqual(
      APPS.map((a) => `${name(a)}:50051`).sort(),
    );
  });
});

describe('network isolation', () => {
  const manifests = render(CI.production);
  const policy = (n: string): Manifest => one(manifests, 'NetworkPolicy', n);
  interface Peer {
    namespaceSelector?: unknown;
    podSelector?: { matchLabels?: Record<string, string> };
    ipBlock?: unknown;
  }
  interface Rule {
    from?: Peer[];
    to?: Peer[];
    ports?: { port: number | string; protocol: string }[];
  }

  it('denies all traffic of the release by default', () => {
    const deny = policy('trellis-default-deny');
    expect(get(deny, 'spec', 'podSelector', 'matchLabels')).toEqual({
      'app.kubernetes.io/name': 'trellis',
      'app.kubernetes.io/instance': 'trellis',
    });
    expect(get(deny, 'spec', 'policyTypes')).toEqual(['Ingress', 'Egress']);
    expect(get(deny, 'spec')).not.toHaveProperty('ingress');
    expect(get(deny, 'spec')).not.toHaveProperty('egress');
  });

  it('lets only the gateway in from outside the release (the Gateway’s data plane)', () => {
    for (const app of APPS) {
      const ingress = get<Rule[]>(policy(name(app)), 'spec', 'ingress');
      const outside = ingress.filter((r) =>
        (r.from ?? []).some((p) => p.namespaceSelector !== undefined || p.ipBlock !== undefined),
      );
      const fromIngressController = outside.filter((r) =>
        r.from!.some((p) => JSON.stringify(p.namespaceSelector).includes('gateway-system')),
      );
      if (app === 'gateway') expect(fromIngressController).toHaveLength(1);
      else expect(fromIngressController).toHaveLength(0);
      // apart from the ingress controller, only Prometheus (metrics port) comes from another namespace
      for (const r of outside.filter((x) => !fromIngressController.includes(x))) {
        expect(r.ports).toEqual([{ protocol: 'TCP', port: 'metrics' }]);
      }
      // the platforms accept the gateway and each other (same release, by labels)
      const internal = ingress.find((r) =>
        (r.from ?? []).some((p) => JSON.stringify(p.podSelector).includes('gateway')),
      );
      expect(internal?.ports?.map((p) => p.port)).toEqual(['grpc', 'http']);
    }
  });

  it('lets the apps out only to DNS, each other, PostgreSQL, Kafka and the OTLP collector (+ HTTPS for the gateway)', () => {
    for (const app of APPS) {
      const allowedPorts = new Set<number | string>([53, 50051, 8080, 5432, 9093, 4318]);
      // the gateway fetches connected systems' JWKS over HTTPS (public addresses only); the
      // notifications service posts to subscribers' rest-hook endpoints
      if (app === 'gateway' || app === 'notifications') allowedPorts.add(443);
      const egress = get<Rule[]>(policy(name(app)), 'spec', 'egress');
      for (const rule of egress) {
        expect(rule.ports?.length).toBeGreaterThan(0);
        for (const p of rule.ports!) expect(allowedPorts).toContain(p.port);
        // production pins every destination (no "any address" rule)
        expect(rule.to?.length).toBeGreaterThan(0);
      }
      const ports = egress.flatMap((r) => r.ports!.map((p) => p.port));
      expect(ports).toEqual(expect.arrayContaining([53, 9093, 4318]));
      // PostgreSQL only for the apps that have a schema
      expect(ports.includes(5432)).toBe((DB_APPS as readonly string[]).includes(app));
    }
  });

  it('targets the in-chart operators’ pods when they are enabled', () => {
    const ops = render(CI.operators);
    const egress = get<Rule[]>(one(ops, 'NetworkPolicy', name('identity')), 'spec', 'egress');
    const peers = JSON.stringify(egress.flatMap((r) => r.to ?? []));
    expect(peers).toContain('"cnpg.io/cluster":"trellis-pg"');
    expect(peers).toContain('"strimzi.io/cluster":"trellis-kafka"');
  });

  it('can be switched off', () => {
    expect(
      byKind(render(CI.minimal, {}, ['--set', 'networkPolicy.enabled=false']), 'NetworkPolicy'),
    ).toEqual([]);
  });
});

describe('migrations and secrets', () => {
  it('runs migrations pre-install with an external database, post-install with the in-chart CloudNativePG cluster', () => {
    const hook = (ms: Manifest[]): string =>
      one(ms, 'Job', 'trellis-identity-migrate').metadata.annotations!['helm.sh/hook']!;
    expect(hook(render(CI.minimal))).toBe('pre-install,pre-upgrade');
    const ops = render(CI.operators);
    expect(hook(ops)).toBe('post-install,pre-upgrade');
    const env = podSpec(one(ops, 'Job', 'trellis-identity-migrate')).containers[0]!.env!;
    expect(env.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({
      name: 'trellis-pg-app',
      key: 'uri',
    });
  });

  it('provisions topics before migrations and the credentials Secret before both (hook weights)', () => {
    const ms = render([], DEV_SET);
    const weight = (m: Manifest): number => Number(m.metadata.annotations!['helm.sh/hook-weight']);
    const secret = one(ms, 'Secret', 'trellis-credentials');
    const topics = one(ms, 'Job', 'trellis-kafka-topics');
    const migrate = one(ms, 'Job', 'trellis-results-migrate');
    expect(secret.metadata.annotations!['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(weight(secret)).toBeLessThan(weight(topics));
    expect(weight(topics)).toBeLessThan(weight(migrate));
  });

  it('uses per-service credentials when the Secret has one key per app', () => {
    const ms = render(CI.production);
    for (const app of DB_APPS) {
      const env = podSpec(one(ms, 'Deployment', name(app))).containers[0]!.env!;
      expect(env.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({
        name: 'trellis-database',
        key: `${app}-url`,
      });
      expect(env.find((e) => e.name === 'KAFKA_SASL_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
        name: 'trellis-kafka',
        key: 'password',
      });
    }
  });

  it('refuses to render without database or Kafka wiring, and has no credential defaults', () => {
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    expect(values['database']!['url']).toBe('');
    expect(get(values, 'kafka', 'sasl', 'password')).toBe('');
    const r = helmTemplate();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('database: set database.existingSecret');
    const r2 = helmTemplate([], { 'database.existingSecret': 'db' });
    expect(r2.status).not.toBe(0);
    expect(r2.stderr).toContain('kafka: set kafka.brokers or strimzi.enabled');
    const r3 = helmTemplate([], { ...DEV_SET, 'auth.signingKeysSecret': '' });
    expect(r3.status).not.toBe(0);
    expect(r3.stderr).toContain(
      'auth.signingKeysSecret: the gateway needs its token-signing key ring',
    );
  });

  it('switches the database of one app off or on without touching the others (false overrides a true default)', () => {
    const envNames = (ms: Manifest[], app: string): string[] =>
      podSpec(one(ms, 'Deployment', name(app))).containers[0]!.env!.map((e) => e.name);
    const off = render(CI.minimal, {}, ['--set', 'services.results.database.enabled=false']);
    expect(byKind(off, 'Job').map((j) => j.metadata.name)).not.toContain('trellis-results-migrate');
    expect(envNames(off, 'results')).not.toContain('DATABASE_URL');
    expect(envNames(off, 'identity')).toContain('DATABASE_URL');
    const on = render(CI.minimal);
    expect(byKind(on, 'Job').map((j) => j.metadata.name)).toContain('trellis-router-migrate');
    expect(envNames(on, 'router')).toContain('DATABASE_URL');
  });
});

describe('scaling', () => {
  it('adds an HPA and drops the fixed replica count where autoscaling is on', () => {
    const ms = render(CI.production);
    const hpas = byKind(ms, 'HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.metadata.name).sort()).toEqual(
      APPS.filter((a) => a !== 'router')
        .map(name)
        .sort(),
    );
    const gw = one(ms, 'HorizontalPodAutoscaler', name('gateway'));
    expect(get(gw, 'spec', 'minReplicas')).toBe(4);
    expect(get(gw, 'spec', 'maxReplicas')).toBe(40);
    expect(get(gw, 'spec', 'scaleTargetRef')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: name('gateway'),
    });
    expect(get(one(ms, 'Deployment', name('gateway')), 'spec')).not.toHaveProperty('replicas');
    expect(get(one(ms, 'Deployment', name('router')), 'spec', 'replicas')).toBe(2);
  });

  it('keeps a PodDisruptionBudget per app that never blocks drains', () => {
    for (const pdb of byKind(render(CI.production), 'PodDisruptionBudget')) {
      expect(get(pdb, 'spec', 'maxUnavailable')).toBe(1);
      expect(get(pdb, 'spec')).not.toHaveProperty('minAvailable');
    }
  });
});

describe('gateway exposure', () => {
  it('routes the Ingress to the gateway HTTP port only', () => {
    const ms = render(CI.minimal, {}, [
      '--set',
      'ingress.enabled=true',
      '--set',
      'config.publicBaseUrl=https://api.trellis.example.nhs.uk',
      '--set',
      'ingress.tls[0].secretName=trellis-gateway-tls',
      '--set',
      'ingress.tls[0].hosts[0]=trellis.example.nhs.uk',
    ]);
    const ing = one(ms, 'Ingress', name('gateway'));
    const backend = get(ing, 'spec', 'rules', 0, 'http', 'paths', 0, 'backend', 'service');
    expect(backend).toEqual({ name: name('gateway'), port: { name: 'http' } });
    expect(get(ing, 'spec', 'tls', 0, 'secretName')).toBe('trellis-gateway-tls');
  });
});

describe('one chokepoint: service identity and the gRPC front door', () => {
  const ms = render(CI.production);
  const PLATFORMS = ['identity', 'appointments', 'referrals', 'results'];
  interface Rule {
    from?: { podSelector?: { matchExpressions?: { values: string[] }[] } }[];
    ports?: { port: number | string }[];
  }
  const ingressOf = (app: string): Rule[] =>
    get<Rule[]>(one(ms, 'NetworkPolicy', name(app)), 'spec', 'ingress');

  it('admits only the gateway and the peer platforms to a platform’s gRPC port', () => {
    for (const app of PLATFORMS) {
      const grpcRules = ingressOf(app).filter((r) => r.ports?.some((p) => p.port === 'grpc'));
      const callers = grpcRules.flatMap((r) =>
        (r.from ?? []).flatMap((f) => f.podSelector?.matchExpressions?.[0]?.values ?? []),
      );
      // the helm test pod is matched by label (no expression); every other caller is listed here
      expect([...new Set(callers)].sort()).toEqual(['gateway', ...PLATFORMS].sort());
    }
  });

  it('mounts the service-token key ring in the gateway, the platforms and its back ends only', () => {
    const keyHolders = ['gateway', ...PLATFORMS, 'conformance', 'audit', 'notifications'];
    for (const app of APPS) {
      const spec = podSpec(one(ms, 'Deployment', name(app)));
      const volume = (spec.volumes ?? []).find((v) => v.name === 'service-identity');
      const env = spec.containers[0]!.env!.find((e) => e.name === 'SERVICE_IDENTITY_KEY_FILE');
      if (keyHolders.includes(app)) {
        expect(volume?.secret).toMatchObject({ secretName: 'trellis-service-token-keys' });
        expect(env).toMatchObject({
          value: '/etc/trellis/service-identity/service-token-keys.json',
        });
      } else {
        expect([volume, env]).toEqual([undefined, undefined]);
      }
    }
  });

  it('exposes the front door on the gateway only, to the Gateway’s data plane', () => {
    for (const app of APPS) {
      const ports = get<{ name: string; port: number; appProtocol: string }[]>(
        one(ms, 'Service', name(app)),
        'spec',
        'ports',
      );
      const door = ports.find((p) => p.name === 'front-door');
      if (app === 'gateway') expect(door).toMatchObject({ port: 50052, appProtocol: 'grpc' });
      else expect(door).toBeUndefined();
    }
    const fromController = ingressOf('gateway').find((r) =>
      JSON.stringify(r.from).includes('gateway-system'),
    );
    expect(fromController?.ports?.map((p) => p.port)).toContain('front-door');
    const env = podSpec(one(ms, 'Deployment', name('gateway'))).containers[0]!.env!;
    expect(env.find((e) => e.name === 'FRONTDOOR_GRPC_PORT')).toMatchObject({ value: '50052' });
  });

  it('refuses to render without the service-token key ring', () => {
    const r = helmTemplate([], { ...DEV_SET, 'auth.serviceTokenKeysSecret': '' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('auth.serviceTokenKeysSecret');
  });
});

describe('operators scenario', () => {
  const ms = render(CI.operators);

  it('declares a Strimzi KRaft cluster over TLS + SCRAM and one KafkaUser per app', () => {
    const kafka = one(ms, 'Kafka', 'trellis-kafka');
    expect(get(kafka, 'spec', 'kafka', 'listeners', 0)).toMatchObject({
      tls: true,
      authentication: { type: 'scram-sha-512' },
    });
    expect(get(kafka, 'spec', 'kafka', 'config', 'auto.create.topics.enable')).toBe(false);
    const users = byKind(ms, 'KafkaUser').filter((u) => !u.metadata.name.startsWith('region-'));
    expect(users.map((u) => u.metadata.name).sort()).toEqual(
      APPS.map((a) => `trellis-kafka-${a}`).sort(),
    );
    const identity = one(ms, 'KafkaUser', 'trellis-kafka-identity');
    const acls = get<{ resource: { name: string; patternType: string }; operations: string[] }[]>(
      identity,
      'spec',
      'authorization',
      'acls',
    );
    const writes = acls.filter((a) => a.operations.includes('Write')).map((a) => a.resource.name);
    expect(writes).toContain('trellis.identity.');
    expect(writes).not.toContain('trellis.results.');
    expect(writes.filter((w) => !w.endsWith('.dlq'))).toEqual([
      'trellis.identity.',
      'trellis.audit.',
    ]);
    // consumer groups: inbox consumers, the per-replica suspension feed, anything trellis-<app>
    const groups = acls
      .filter((a) => (a.resource as { type?: string }).type === 'group')
      .map((a) => a.resource.name);
    expect(groups).toEqual(['trellis.identity.', 'trellis-auth.identity.', 'trellis-identity']);
    // apps read the KafkaUser Secret and trust the cluster CA
    const c: Container = podSpec(one(ms, 'Deployment', name('identity'))).containers[0]!;
    expect(c.env?.find((e) => e.name === 'KAFKA_SASL_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
      name: 'trellis-kafka-identity',
      key: 'password',
    });
    expect(c.env).toContainEqual({
      name: 'KAFKA_BROKERS',
      value: 'trellis-kafka-kafka-bootstrap.trellis.svc:9093',
    });
    expect(c.volumeMounts).toContainEqual({
      name: 'kafka-ca',
      mountPath: '/etc/trellis/kafka-ca',
      readOnly: true,
    });
  });

  it('declares one read-only KafkaUser per regional authority: its own stream and group prefix only', () => {
    const regional = byKind(ms, 'KafkaUser').filter((u) => u.metadata.name.startsWith('region-'));
    expect(regional).toHaveLength(8);
    const london = one(ms, 'KafkaUser', 'region-london');
    expect(get(london, 'spec', 'authentication')).toEqual({ type: 'scram-sha-512' });
    expect(get(london, 'spec', 'authorization', 'acls')).toEqual([
      {
        resource: { type: 'topic', name: 'trellis.region.london.v1', patternType: 'literal' },
        operations: ['Describe', 'Read'],
      },
      {
        resource: { type: 'group', name: 'region-london.', patternType: 'prefix' },
        operations: ['Describe', 'Read'],
      },
    ]);
  });

  it('declares a CloudNativePG cluster with the extensions the services need and scheduled backups', () => {
    const cluster = one(ms, 'Cluster', 'trellis-pg');
    expect(
      get<string[]>(cluster, 'spec', 'bootstrap', 'initdb', 'postInitApplicationSQL').join('\n'),
    ).toMatch(/pg_trgm[\s\S]*fuzzystrmatch[\s\S]*pgcrypto/);
    expect(get(cluster, 'spec', 'enableSuperuserAccess')).toBe(false);
    expect(get(one(ms, 'ScheduledBackup', 'trellis-pg-daily'), 'spec', 'cluster', 'name')).toBe(
      'trellis-pg',
    );
  });

  it('creates every registry topic as a KafkaTopic (no Job)', () => {
    const topics = byKind(ms, 'KafkaTopic');
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as {
      kafka: { topics: { definitions: { name: string }[] } };
    };
    expect(topics.map((t) => get<string>(t, 'spec', 'topicName')).sort()).toEqual(
      values.kafka.topics.definitions.map((d) => d.name).sort(),
    );
    for (const t of topics) expect(t.metadata.labels?.['strimzi.io/cluster']).toBe('trellis-kafka');
    expect(byKind(ms, 'Job').map((j) => j.metadata.name)).not.toContain('trellis-kafka-topics');
  });
});

describe('values schema', () => {
  const refused: [string, string[]][] = [
    ['an unknown top-level key', ['--set', 'replicas=3']],
    ['an unknown key inside a service', ['--set', 'services.identity.replicas=3']],
    ['an unknown app', ['--set', 'services.billing.enabled=true']],
    ['running as root', ['--set', 'podSecurityContext.runAsUser=0']],
    ['an unknown topic provisioner', ['--set', 'kafka.topics.provisioner=auto']],
    [
      'a topic name outside the trellis.<domain>.<entity>.v<N> scheme',
      ['--set', 'kafka.topics.definitions[0].name=patients'],
    ],
    ['a port out of range', ['--set', 'ports.grpc=70000']],
    ['a non-PostgreSQL database URL', ['--set', 'database.url=mysql://x']],
    [
      'an env name that is not an environment variable',
      ['--set', 'serviceDefaults.env.bad-name=1'],
    ],
    [
      'backups without a destination',
      ['--set', 'cloudnativepg.enabled=true', '--set', 'cloudnativepg.backup.enabled=true'],
    ],
    ['a string where a boolean is expected', ['--set-string', 'networkPolicy.enabled=yes']],
  ];

  it.each(refused)('refuses %s', (_what, extra) => {
    const r = helmTemplate(CI.minimal, {}, extra);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
  });

  it('accepts every ci scenario (so the refusals above are about the bad value)', () => {
    for (const files of Object.values(CI)) expect(helmTemplate(files).status).toBe(0);
  });

  it('sets additionalProperties: false on every object schema except the pass-through ones', () => {
    const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as unknown;
    const open: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n['type'] === 'object' && n['additionalProperties'] === undefined) open.push(path);
      for (const [k, v] of Object.entries(n)) walk(v, `${path}/${k}`);
    };
    walk(schema, '#');
    // free-form on purpose: `global` (parent charts), affinity (Kubernetes' own deep type,
    // checked by the Kubernetes schemas after rendering)
    expect(open.sort()).toEqual([
      '#/definitions/conformanceService/properties/affinity',
      '#/definitions/service/properties/affinity',
      '#/definitions/serviceSettings/properties/affinity',
      '#/properties/global',
    ]);
  });
});
