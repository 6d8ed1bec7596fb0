import {
  authorityClientsPath,
  clientProperties,
  mayRekey,
  rekeyPath,
  withdrawPath,
  type KafkaPrincipal,
} from './authority-clients';
import type { SystemSummary } from './systems';

const client = (status: 'active' | 'suspended'): SystemSummary => ({
  id: 'ne-analytics',
  name: 'North East analytics',
  supplier: 'north-east regional digital authority',
  odsCode: 'YRA01',
  region: 'north-east',
  status,
  suspensionReason: status === 'suspended' ? 'contract ended' : '',
  productVersionId: 'unclassified@legacy',
  writesRestricted: false,
  lifecycle: 'live',
  allowedScopes: ['region/north-east/stream.read'],
  version: 1,
  changedAt: '2026-12-07T06:00:00.000Z',
  changedBy: 'ne-console',
});

describe("the console's authority-client actions", () => {
  it('names the regional routes, encoding what it is given', () => {
    expect(authorityClientsPath('north-east')).toBe(
      '/admin/v1/regions/north-east/authority-clients',
    );
    expect(rekeyPath('north-east', 'a b')).toBe(
      '/admin/v1/regions/north-east/authority-clients/a%20b/kafka-credentials',
    );
    expect(withdrawPath('london', 'c/1')).toBe(
      '/admin/v1/regions/london/authority-clients/c%2F1/revoke',
    );
  });

  it('offers a re-key only when the platform keeps the principals and the client is active', () => {
    expect(mayRekey({ managedBy: 'kafka' }, client('active'))).toBe(true);
    expect(mayRekey({ managedBy: 'strimzi' }, client('active'))).toBe(true);
    expect(mayRekey({ managedBy: 'strimzi' }, client('suspended'))).toBe(false);
    expect(mayRekey({ managedBy: 'operator' }, client('active'))).toBe(false);
  });

  it('writes the Kafka client settings of the new secret, JAAS-quoted', () => {
    const k: KafkaPrincipal = {
      principal: 'region-north-east.ne-analytics',
      topic: 'trellis.region.north-east.v1',
      groupPrefix: 'region-north-east.',
      password: 'p"w\\x',
      managedBy: 'strimzi',
    };
    const text = clientProperties(k);
    expect(text.split('\n')).toEqual([
      'security.protocol=SASL_SSL',
      'sasl.mechanism=SCRAM-SHA-512',
      'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="region-north-east.ne-analytics" password="p\\"w\\\\x";',
      '# reads trellis.region.north-east.v1; any consumer group starting region-north-east. is allowed',
      'group.id=region-north-east.ne-analytics',
    ]);
    expect(clientProperties({ ...k, password: undefined })).toBe('');
  });
});
