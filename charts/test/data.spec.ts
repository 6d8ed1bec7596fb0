/**
 * Data survives the operator: the stateful operators' objects outlive `helm uninstall` and a
 * cluster rename, a restore bootstraps a NEW PostgreSQL cluster from the backups of the old one,
 * and backups are on unless switched off explicitly. Every test runs the real `helm template`.
 */
import { Manifest, byKind, get, helmTemplate, one, render } from './render';

const OPERATORS = ['ci/operators-values.yaml'];
const keep = (m: Manifest): string | undefined =>
  m.metadata.annotations?.['helm.sh/resource-policy'];

describe('stateful objects survive helm uninstall', () => {
  const manifests = render(OPERATORS);

  it('keeps the PostgreSQL cluster, the Kafka cluster, its node pool and every topic', () => {
    const stateful = [
      ...byKind(manifests, 'Cluster'),
      ...byKind(manifests, 'Kafka'),
      ...byKind(manifests, 'KafkaNodePool'),
      ...byKind(manifests, 'KafkaTopic'),
    ];
    expect(byKind(manifests, 'KafkaTopic').length).toBeGreaterThan(20);
    expect(stateful.filter((m) => keep(m) !== 'keep').map((m) => m.metadata.name)).toEqual([]);
    // the audit topic, kept forever, is among them
    const audit = byKind(manifests, 'KafkaTopic').find(
      (t) => get(t, 'spec', 'topicName') === 'trellis.audit.access.v1',
    );
    expect(audit && keep(audit)).toBe('keep');
  });

  it('lets Helm delete what holds no data (Deployments, KafkaUsers)', () => {
    for (const m of [...byKind(manifests, 'Deployment'), ...byKind(manifests, 'KafkaUser')]) {
      expect(keep(m)).toBeUndefined();
    }
  });
});

describe('backups', () => {
  it('archives WAL at least every minute and waits for a synchronous standby', () => {
    const cluster = one(render(OPERATORS), 'Cluster', 'trellis-pg');
    expect(get(cluster, 'spec', 'backup', 'barmanObjectStore', 'destinationPath')).toBe(
      's3://trellis-backups/postgres',
    );
    expect(get(cluster, 'spec', 'postgresql', 'parameters', 'archive_timeout')).toBe('60s');
    expect(get(cluster, 'spec', 'postgresql', 'synchronous')).toEqual({
      method: 'any',
      number: 1,
      dataDurability: 'required',
    });
    one(render(OPERATORS), 'ScheduledBackup', 'trellis-pg-daily');
  });

  it('are on by default: an in-chart cluster without a backup target does not render', () => {
    const r = helmTemplate(['ci/minimal-values.yaml'], {}, ['--set', 'cloudnativepg.enabled=true']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('/cloudnativepg/backup/destinationPath');
    const off = helmTemplate(['ci/minimal-values.yaml'], {}, [
      '--set',
      'cloudnativepg.enabled=true',
      '--set',
      'cloudnativepg.backup.enabled=false',
    ]);
    expect(off.status).toBe(0);
    expect(off.stdout).not.toContain('kind: ScheduledBackup');
  });

  it('refuses more synchronous standbys than the cluster has', () => {
    const r = helmTemplate(OPERATORS, {}, ['--set', 'cloudnativepg.synchronousReplicas=3']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('cloudnativepg.synchronousReplicas must be below');
  });
});

describe('recovery bootstrap', () => {
  const recover = [
    '--set',
    'cloudnativepg.clusterName=trellis-pg-r1',
    '--set',
    'cloudnativepg.recovery.enabled=true',
    '--set',
    'cloudnativepg.recovery.sourceClusterName=trellis-pg',
  ];

  it('bootstraps a new cluster from the old cluster’s base backups and WAL archive', () => {
    const r = helmTemplate(OPERATORS, {}, [
      ...recover,
      '--set-string',
      'cloudnativepg.recovery.targetTime=2026-11-23 10:15:00+00',
    ]);
    expect(r.stderr).toBe('');
    const manifests = render(OPERATORS, {}, [
      ...recover,
      '--set-string',
      'cloudnativepg.recovery.targetTime=2026-11-23 10:15:00+00',
    ]);
    expect(byKind(manifests, 'Cluster').map((c) => c.metadata.name)).toEqual(['trellis-pg-r1']);
    const cluster = one(manifests, 'Cluster', 'trellis-pg-r1');
    expect(keep(cluster)).toBe('keep');
    expect(get(cluster, 'spec', 'bootstrap')).toEqual({
      recovery: {
        source: 'trellis-pg',
        database: 'trellis',
        owner: 'trellis',
        recoveryTarget: { targetTime: '2026-11-23 10:15:00+00' },
      },
    });
    expect(get(cluster, 'spec', 'externalClusters', 0)).toMatchObject({
      name: 'trellis-pg',
      barmanObjectStore: {
        destinationPath: 's3://trellis-backups/postgres',
        serverName: 'trellis-pg',
      },
    });
    // the new cluster archives under its own name: the old cluster's backups stay untouched
    expect(get(cluster, 'spec', 'backup', 'barmanObjectStore')).not.toHaveProperty('serverName');
    // the apps follow the new cluster's credentials
    const deployment = one(manifests, 'Deployment', 'trellis-identity');
    expect(JSON.stringify(deployment)).toContain('trellis-pg-r1-app');
  });

  it('refuses to restore into the cluster it restores from', () => {
    const r = helmTemplate(OPERATORS, {}, [
      '--set',
      'cloudnativepg.recovery.enabled=true',
      '--set',
      'cloudnativepg.recovery.sourceClusterName=trellis-pg',
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('cloudnativepg.recovery restores into a NEW cluster');
  });

  it('needs the source cluster’s name and a point in time PostgreSQL understands', () => {
    const noSource = helmTemplate(OPERATORS, {}, [
      '--set',
      'cloudnativepg.clusterName=trellis-pg-r1',
      '--set',
      'cloudnativepg.recovery.enabled=true',
    ]);
    expect(noSource.stderr).toContain('/cloudnativepg/recovery/sourceClusterName');
    const badTime = helmTemplate(OPERATORS, {}, [
      ...recover,
      '--set-string',
      'cloudnativepg.recovery.targetTime=yesterday',
    ]);
    expect(badTime.stderr).toContain('/cloudnativepg/recovery/targetTime');
  });
});
