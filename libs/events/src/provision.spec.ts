import { describeAction, planProvisioning } from './provision';
import { TOPICS } from './topics';

const patient = TOPICS.identityPatient;
const system = TOPICS.gatewaySystem;
const configsOf = (policy: string, retention: number) => ({
  'cleanup.policy': policy,
  'retention.ms': String(retention),
});

describe('planProvisioning', () => {
  it('creates what is missing and leaves matching topics alone', () => {
    const plan = planProvisioning(
      [patient, system],
      [
        {
          name: patient.name,
          partitions: patient.partitions,
          configs: configsOf('delete', patient.retentionMs),
        },
      ],
    );
    expect(plan.map((a) => [a.kind, a.topic.name])).toEqual([
      ['ok', patient.name],
      ['create', system.name],
    ]);
  });

  it('grows partitions, warns about extra ones and fixes drifted configs', () => {
    const plan = planProvisioning(
      [patient, system],
      [
        { name: patient.name, partitions: 3, configs: configsOf('compact', patient.retentionMs) },
        { name: system.name, partitions: 9, configs: configsOf('compact', -1) },
      ],
    );
    expect(plan.map(describeAction)).toEqual([
      `grow     ${patient.name} partitions 3 → 12`,
      `alter    ${patient.name} cleanup.policy compact → delete`,
      `WARNING  ${system.name} has 9 partitions, registry says 3 (Kafka cannot remove partitions; update the registry)`,
    ]);
  });
});
