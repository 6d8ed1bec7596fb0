/**
 * The notifications service (issue 21) in the chart: an app like the gateway's other back ends
 * (Deployment, Service, migration Job, Kafka user) that answers the gateway alone, and the one app
 * with HTTPS egress to the subscribers' rest-hook endpoints. Every test runs the real
 * `helm template`.
 */
import { Manifest, get, one, podSpec, render } from './render';

const PRODUCTION = ['ci/production-values.yaml'];
const OPERATORS = ['ci/operators-values.yaml'];

interface Peer {
  podSelector?: { matchExpressions?: { values: string[] }[] };
  ipBlock?: { cidr: string; except?: string[] };
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { port: number | string }[];
}

const envOf = (ms: Manifest[], app: string): Map<string, string | undefined> =>
  new Map(
    podSpec(one(ms, 'Deployment', `trellis-${app}`)).containers[0]!.env!.map((e) => [
      e.name,
      e.value,
    ]),
  );

describe('the notifications service', () => {
  const ms = render(PRODUCTION);

  it('runs with its own schema and migration Job, and the gateway knows its address', () => {
    expect(envOf(ms, 'notifications').get('DATABASE_SCHEMA')).toBe('notifications');
    expect(podSpec(one(ms, 'Job', 'trellis-notifications-migrate')).containers[0]!.args).toEqual([
      'tools/prisma/cli.js',
      'notifications',
      'migrate-deploy',
      '--schema',
      '$(DATABASE_SCHEMA)',
    ]);
    expect(envOf(ms, 'gateway').get('NOTIFICATIONS_GRPC_ADDR')).toBe(
      'trellis-notifications.trellis.svc:50051',
    );
    expect(envOf(ms, 'notifications').get('NOTIFICATIONS_FHIR_BASE_URL')).toMatch(
      /^https:\/\/.+\/fhir$/,
    );
  });

  it('admits the gateway alone', () => {
    const rules = get<Rule[]>(one(ms, 'NetworkPolicy', 'trellis-notifications'), 'spec', 'ingress');
    const serving = rules.filter((r) => r.ports?.some((p) => p.port === 'http'));
    expect(
      serving.flatMap((r) =>
        r.from!.flatMap((f) => f.podSelector?.matchExpressions?.[0]?.values ?? []),
      ),
    ).toEqual(['gateway']);
  });

  it('alone reaches the subscribers’ endpoints over HTTPS (public addresses)', () => {
    const https = (app: string) =>
      get<Rule[]>(one(ms, 'NetworkPolicy', `trellis-${app}`), 'spec', 'egress').filter((r) =>
        r.ports?.some((p) => p.port === 443),
      );
    expect(https('notifications').flatMap((r) => r.to ?? [])).toEqual([
      {
        ipBlock: {
          cidr: '0.0.0.0/0',
          except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'],
        },
      },
    ]);
    expect(https('identity')).toEqual([]);
  });

  it('writes only the access-audit topics to Kafka', () => {
    const acls = get<
      { resource: { name: string; patternType: string; type: string }; operations: string[] }[]
    >(
      one(render(OPERATORS), 'KafkaUser', 'trellis-kafka-notifications'),
      'spec',
      'authorization',
      'acls',
    );
    expect(
      acls
        .filter((a) => a.operations.includes('Write') && a.resource.patternType === 'prefix')
        .map((a) => a.resource.name),
    ).toEqual(['trellis.audit.']);
    // its default consumer group (trellis.notifications.streams) is inside its group prefix
    expect(
      acls.some((a) => a.resource.type === 'group' && a.resource.name === 'trellis.notifications.'),
    ).toBe(true);
  });
});
