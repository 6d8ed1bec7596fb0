import type { EventAdmin, TopicState } from './port';
import { topicConfigEntries, type TopicSpec } from './topics';

export type TopicAction =
  | { kind: 'create'; topic: TopicSpec }
  | { kind: 'add-partitions'; topic: TopicSpec; from: number }
  | {
      kind: 'alter-configs';
      topic: TopicSpec;
      changes: Record<string, { from: string | undefined; to: string }>;
    }
  | { kind: 'ok'; topic: TopicSpec }
  | { kind: 'warn'; topic: TopicSpec; message: string };

/** What provisioning must do to make the broker match the registry (pure). */
export function planProvisioning(
  specs: readonly TopicSpec[],
  existing: readonly TopicState[],
): TopicAction[] {
  const byName = new Map(existing.map((t) => [t.name, t]));
  const actions: TopicAction[] = [];
  for (const spec of specs) {
    const state = byName.get(spec.name);
    if (!state) {
      actions.push({ kind: 'create', topic: spec });
      continue;
    }
    let changed = false;
    if (state.partitions < spec.partitions) {
      actions.push({ kind: 'add-partitions', topic: spec, from: state.partitions });
      changed = true;
    } else if (state.partitions > spec.partitions) {
      actions.push({
        kind: 'warn',
        topic: spec,
        message: `has ${state.partitions} partitions, registry says ${spec.partitions} (Kafka cannot remove partitions; update the registry)`,
      });
      changed = true;
    }
    const changes: Record<string, { from: string | undefined; to: string }> = {};
    for (const { name, value } of topicConfigEntries(spec)) {
      if (state.configs[name] !== value) changes[name] = { from: state.configs[name], to: value };
    }
    if (Object.keys(changes).length > 0) {
      actions.push({ kind: 'alter-configs', topic: spec, changes });
      changed = true;
    }
    if (!changed) actions.push({ kind: 'ok', topic: spec });
  }
  return actions;
}

/** Apply a plan (creations in one request). */
export async function applyProvisioning(
  admin: EventAdmin,
  actions: readonly TopicAction[],
  options: { replicationFactor?: number } = {},
): Promise<void> {
  const creates = actions.filter((a) => a.kind === 'create').map((a) => a.topic);
  await admin.createTopics(creates, options);
  for (const a of actions) {
    if (a.kind === 'add-partitions')
      await admin.increasePartitions(a.topic.name, a.topic.partitions);
    if (a.kind === 'alter-configs') {
      // AlterConfigs replaces the topic's overrides: always send every managed setting.
      await admin.alterTopicConfigs(
        a.topic.name,
        Object.fromEntries(topicConfigEntries(a.topic).map((e) => [e.name, e.value])),
      );
    }
  }
}

export function describeAction(a: TopicAction): string {
  switch (a.kind) {
    case 'create':
      return `create   ${a.topic.name} (partitions ${a.topic.partitions}, ${a.topic.cleanupPolicy}, retention.ms ${a.topic.retentionMs})`;
    case 'add-partitions':
      return `grow     ${a.topic.name} partitions ${a.from} → ${a.topic.partitions}`;
    case 'alter-configs':
      return `alter    ${a.topic.name} ${Object.entries(a.changes)
        .map(([k, v]) => `${k} ${v.from ?? '(default)'} → ${v.to}`)
        .join(', ')}`;
    case 'ok':
      return `ok       ${a.topic.name}`;
    case 'warn':
      return `WARNING  ${a.topic.name} ${a.message}`;
  }
}
