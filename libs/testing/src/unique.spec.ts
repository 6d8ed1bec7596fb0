import { uniqueGroup, uniqueGroupId, uniqueTopic } from './unique';
import { uniqueSchemaName } from './test-schema';

describe('unique names', () => {
  it('makes distinct, valid Kafka topic names from a base', () => {
    const names = new Set(
      Array.from({ length: 200 }, () => uniqueTopic('trellis.identity.patient.v1')),
    );
    expect(names.size).toBe(200);
    for (const name of names) {
      expect(name).toMatch(/^trellis\.identity\.patient\.v1\.t[a-z0-9]+$/);
      expect(name.length).toBeLessThanOrEqual(249);
    }
    expect(uniqueTopic('bad topic/name')).toMatch(/^bad-topic-name\.t/);
  });

  it('makes distinct consumer group ids', () => {
    const a = uniqueGroupId('identity-projector');
    expect(a).toMatch(/^identity-projector-t[a-z0-9]+$/);
    expect(uniqueGroup('identity-projector')).not.toBe(a);
  });

  it('makes distinct valid schema names', () => {
    const a = uniqueSchemaName('identity');
    expect(a).toMatch(/^identity_t[0-9a-f]{10}$/);
    expect(uniqueSchemaName('identity')).not.toBe(a);
    expect(uniqueSchemaName('x'.repeat(80)).length).toBeLessThanOrEqual(63);
  });
});
