// The access audit stream (platform view, as User:trellis).
import { randomUUID } from 'node:crypto';

import { events } from '@trellis/contracts';
import { createEventBus } from '@trellis/events';

import type { JourneyConfig } from './config';

export interface AuditEntry {
  time: string;
  systemId: string;
  odsCode: string;
  interaction: string;
  action: string;
  outcome: string;
  sourceService: string;
}

/** The access audit stream (platform view, as User:trellis): entries about one patient since `sinceMs`. */
export async function readAudit(
  cfg: JourneyConfig,
  nhs: string,
  sinceMs: number,
): Promise<AuditEntry[]> {
  const bus = createEventBus({
    clientId: 'trellis-journey-audit',
    brokers: cfg.kafkaBrokers,
    sasl: { mechanism: 'scram-sha-512', username: cfg.kafkaUser, password: cfg.kafkaPassword },
  });
  const topic = 'trellis.audit.access.v1';
  const groupId = `trellis-journey-audit-${randomUUID()}`;
  const admin = bus.admin();
  const pending = new Map<number, bigint>();
  try {
    const starts = await admin.offsetsAt!(topic, sinceMs);
    const ends = await admin.topicOffsets!(topic);
    for (const e of ends) {
      const start = starts.find((s) => s.partition === e.partition)?.offset ?? e.high;
      if (BigInt(start) < BigInt(e.high)) pending.set(e.partition, BigInt(e.high));
    }
    // the reader's group starts where the journey started
    if (pending.size > 0) await admin.setGroupOffsets!(groupId, topic, starts);
  } finally {
    await admin.disconnect();
  }
  const entries: AuditEntry[] = [];
  if (pending.size === 0) return entries;
  const consumer = bus.consumer({ groupId });
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => done(), 20_000);
    consumer
      .run({
        topics: [topic],
        eachBatch: async ({ partition, messages }) => {
          for (const message of messages) {
            const key = message.key ? Buffer.from(message.key).toString() : undefined;
            if (key === nhs && message.value) {
              const a = events.v1.AccessRecorded.decode(message.value);
              entries.push({
                time: new Date(message.timestamp).toISOString(),
                systemId: a.systemId,
                odsCode: a.odsCode,
                interaction: a.interaction,
                action: a.action,
                outcome: a.outcome,
                sourceService: a.sourceService,
              });
            }
            const high = pending.get(partition);
            if (high !== undefined && BigInt(message.offset) + 1n >= high)
              pending.delete(partition);
          }
          if (pending.size === 0) {
            clearTimeout(timer);
            done();
          }
        },
      })
      .catch(fail);
  });
  await consumer.stop();
  const cleanup = bus.admin();
  await cleanup.deleteGroups!([groupId]).catch(() => undefined);
  await cleanup.disconnect();
  return entries.sort((a, b) => a.time.localeCompare(b.time));
}
