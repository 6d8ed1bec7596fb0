/**
 * The chart's Kafka is the event stack's (docs/events.md, "The Kafka client"): Kafka 4.1 under a
 * Strimzi line that runs it, and the topics Job on the same release's image. Kafka 3.x (what
 * kafkajs needed) is refused by the values schema.
 */
import { byKind, helmTemplate, one, render, type Manifest } from './render';

const OPERATORS = ['ci/operators-values.yaml'];
const MINIMAL = ['ci/minimal-values.yaml'];

describe('Kafka 4.1', () => {
  it('runs the Strimzi cluster on Kafka 4.1.1 with the 4.1 metadata version', () => {
    const [kafka] = byKind(render(OPERATORS), 'Kafka');
    expect((kafka!.spec as { kafka: { version: string; metadataVersion: string } }).kafka).toEqual(
      expect.objectContaining({ version: '4.1.1', metadataVersion: '4.1-IV1' }),
    );
  });

  it('provisions topics with the apache/kafka 4.1.1 image', () => {
    const job: Manifest = one(render(MINIMAL), 'Job', 'trellis-kafka-topics');
    const images = (
      job.spec as { template: { spec: { containers: { image: string }[] } } }
    ).template.spec.containers.map((c) => c.image);
    expect(images).toEqual(['docker.io/apache/kafka:4.1.1']);
  });

  it.each([
    ['a Kafka 3.x version', 'strimzi.kafka.version=3.9.1'],
    ['a metadata version that is not one', 'strimzi.kafka.metadataVersion=latest'],
  ])('refuses %s', (_what, set) => {
    const r = helmTemplate(OPERATORS, {}, ['--set', set]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
  });

  it('accepts the 3.9 metadata version kept while a 3.9 cluster is upgraded', () => {
    expect(
      helmTemplate(OPERATORS, {}, ['--set', 'strimzi.kafka.metadataVersion=3.9-IV0']).status,
    ).toBe(0);
  });
});
