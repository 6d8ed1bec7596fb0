/**
 * The chart provisions Kafka topics from values.yaml (kafka.topics.definitions) because Helm
 * cannot read TypeScript; this keeps that list identical to the registry in
 * libs/events/src/topics.ts (allTopics(): declared topics, per-region streams, DLQs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import { allTopics } from '../../libs/events/src/topics';
import { CHART, get, one, render } from './render';

interface Definition {
  name: string;
  partitions: number;
  retentionMs: number;
  cleanupPolicy: string;
}

const definitions = (): Definition[] =>
  (
    parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as {
      kafka: { topics: { definitions: Definition[] } };
    }
  ).kafka.topics.definitions;

describe('chart topic list', () => {
  it('equals allTopics() of the events registry, field by field and in order', () => {
    const registry = allTopics().map(({ name, partitions, retentionMs, cleanupPolicy }) => ({
      name,
      partitions,
      retentionMs,
      cleanupPolicy,
    }));
    expect(definitions()).toEqual(registry);
  });

  it('is what the provisioning Job creates, with the registry settings', () => {
    const job = one(render(['ci/minimal-values.yaml']), 'Job', 'trellis-kafka-topics');
    const script = get<string[]>(job, 'spec', 'template', 'spec', 'containers', 0, 'args')[0]!;
    const ensured = [...script.matchAll(/^\s*ensure (\S+) (\d+) "([^"]+)"$/gm)].map((m) => ({
      name: m[1],
      partitions: Number(m[2]),
      configs: m[3],
    }));
    expect(ensured.map((e) => e.name)).toEqual(definitions().map((d) => d.name));
    for (const [i, d] of definitions().entries()) {
      expect(ensured[i]!.partitions).toBe(d.partitions);
      expect(ensured[i]!.configs).toBe(
        `cleanup.policy=${d.cleanupPolicy},retention.ms=${d.retentionMs},min.insync.replicas=2`,
      );
    }
  });
});
