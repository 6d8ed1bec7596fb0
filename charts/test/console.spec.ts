/**
 * The console in the chart (issue 20): its own Deployment of the static server (HTTP probes,
 * hardened like every pod, the OpenID provider it signs in at), reachable from the ingress
 * controller only, behind the same HTTPRoute / Ingress as the gateway, which keeps the gateway's
 * public API paths. Every test runs the real `helm template`.
 */
import { Manifest, byKind, get, helmTemplate, one, podSpec, render, DEV_SET } from './render';

const PRODUCTION = ['ci/production-values.yaml'];
const EXPOSED = { ...DEV_SET, 'config.publicBaseUrl': 'https://trellis.example' };
const name = (app: string): string => `trellis-${app}`;

interface Match {
  path: { type: string; value: string };
}
interface HttpRule {
  matches: Match[];
  backendRefs: { name: string; port: number }[];
}

describe('the console', () => {
  const ms = render(PRODUCTION);

  it('runs the static server with HTTP probes, the provider and a hardened pod', () => {
    const spec = podSpec(one(ms, 'Deployment', name('console')));
    const c = spec.containers[0]!;
    expect(c.image).toBe('registry.example.nhs.uk/trellis/console:0.1.0');
    expect(get(c, 'readinessProbe', 'httpGet')).toEqual({ path: '/health/ready', port: 'http' });
    expect(get(c, 'livenessProbe', 'httpGet')).toEqual({ path: '/health/live', port: 'http' });
    const env = new Map(c.env!.map((e) => [e.name, e.value]));
    expect(env.get('CITIZEN_OIDC_ISSUER')).toBe('https://auth.login.nhs.uk');
    expect(env.get('CITIZEN_OIDC_CLIENT_ID')).toBe('trellis-console');
    expect(env.get('CONSOLE_HOST')).toBe('0.0.0.0');
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true });
    expect(get(one(ms, 'PodDisruptionBudget', name('console')), 'spec', 'maxUnavailable')).toBe(1);
  });

  it('admits the ingress controller only and calls nothing', () => {
    const np = one(ms, 'NetworkPolicy', name('console'));
    expect(get(np, 'spec', 'egress')).toEqual([]);
    const ingress = get<{ from: unknown[]; ports: { port: string }[] }[]>(np, 'spec', 'ingress');
    expect(ingress).toHaveLength(1);
    expect(ingress[0]!.ports).toEqual([{ protocol: 'TCP', port: 'http' }]);
  });

  it('shares the HTTPRoute: API paths to the gateway, everything else to the console', () => {
    const rules = get<HttpRule[]>(
      byKind(ms, 'HTTPRoute').find((r) => r.metadata.name === name('gateway'))!,
      'spec',
      'rules',
    );
    const to = (path: string): string | undefined =>
      rules.find((r) => r.matches.some((m) => m.path.value === path))?.backendRefs[0]?.name;
    for (const p of ['/fhir', '/oauth2', '/admin', '/.well-known'])
      expect(to(p)).toBe(name('gateway'));
    expect(to('/')).toBe(name('console'));
  });

  it('shares the Ingress the same way', () => {
    const m = render([], { ...EXPOSED, 'console.oidc.issuer': 'https://auth.example' }, [
      '--set',
      'ingress.enabled=true,console.enabled=true',
    ]);
    const paths = get<{ path: string; backend: { service: { name: string } } }[]>(
      byKind(m, 'Ingress')[0]!,
      'spec',
      'rules',
      0,
      'http',
      'paths',
    );
    expect(paths.map((p) => [p.path, p.backend.service.name])).toEqual([
      ['/fhir', name('gateway')],
      ['/oauth2', name('gateway')],
      ['/admin', name('gateway')],
      ['/.well-known', name('gateway')],
      ['/', name('console')],
    ]);
  });

  it('is off by default (the gateway keeps the whole host), and needs its provider when on', () => {
    const byDefault: Manifest[] = render([], EXPOSED, ['--set', 'ingress.enabled=true']);
    expect(byKind(byDefault, 'Deployment').map((d) => d.metadata.name)).not.toContain(
      name('console'),
    );
    const on = ['--set', 'console.enabled=true'];
    const r = helmTemplate([], DEV_SET, on);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/console\.oidc\.issuer is required/);
    const bad = helmTemplate([], { ...DEV_SET, 'console.oidc.issuer': 'not a url' }, on);
    expect(bad.status).not.toBe(0);
  });
});
