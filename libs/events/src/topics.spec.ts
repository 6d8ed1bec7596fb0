import {
  allTopics,
  dlqTopicName,
  regionTopicName,
  topicConfigEntries,
  TOPICS,
  validateTopics,
  type TopicSpec,
} from './topics';

describe('topic registry', () => {
  it('declares the platform topics with valid settings', () => {
    const names = allTopics().map((t) => t.name);
    for (const name of [
      'trellis.identity.patient.v1',
      'trellis.appointments.appointment.v1',
      'trellis.referrals.referral.v1',
      'trellis.results.report.v1',
      'trellis.audit.access.v1',
      'trellis.gateway.system.v1',
      'trellis.gateway.conformance.v1',
      'trellis.region.north-east.v1',
      'trellis.region.london.v1',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('gives every consumed topic a dead-letter topic, and none to dead-letter topics', () => {
    const all = allTopics(['london']);
    const names = new Set(all.map((t) => t.name));
    for (const t of all.filter((x) => !x.name.endsWith('.dlq')))
      expect(names.has(dlqTopicName(t.name))).toBe(true);
    expect([...names].some((n) => n.endsWith('.dlq.dlq'))).toBe(false);
  });

  it('keeps the connected-system registry compacted', () => {
    expect(TOPICS.gatewaySystem.cleanupPolicy).toBe('compact');
    expect(topicConfigEntries(TOPICS.gatewaySystem)).toEqual([
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'retention.ms', value: '-1' },
    ]);
  });

  it('rejects bad names, duplicates and settings, all at once', () => {
    const bad: TopicSpec[] = [
      { name: 'patients', partitions: 0, retentionMs: 5, cleanupPolicy: 'delete', description: '' },
      { ...TOPICS.identityPatient },
      { ...TOPICS.identityPatient },
    ];
    expect(() => validateTopics(bad)).toThrow(
      /patients: name must be[\s\S]*patients: partitions[\s\S]*patients: retentionMs[\s\S]*identity\.patient\.v1: declared twice/,
    );
  });

  it('names region streams from region codes', () => {
    expect(regionTopicName('north-east')).toBe('trellis.region.north-east.v1');
    expect(() => regionTopicName('North East')).toThrow(/invalid region/);
  });
});
