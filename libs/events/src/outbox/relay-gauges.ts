import { metrics, type BatchObservableCallback } from '@opentelemetry/api';
import type { OutboxLag } from './relay-options';

/**
 * Registers the outbox lag gauges of one schema; `readLag` returns undefined when this relay must
 * not report (only the leader does: followers would double count). Returns the unregister call.
 */
export function registerOutboxGauges(
  schema: string,
  readLag: () => Promise<OutboxLag> | undefined,
): () => void {
  const meter = metrics.getMeter('@trellis/events');
  const unsent = meter.createObservableGauge('trellis.events.outbox.unsent', {
    description: 'Outbox rows not yet published to Kafka',
  });
  const oldest = meter.createObservableGauge('trellis.events.outbox.oldest_age', {
    description: 'Age of the oldest unpublished outbox row',
    unit: 'ms',
  });
  const attributes = { schema };
  // One query feeds both gauges.
  const callback: BatchObservableCallback = async (observer) => {
    const pending = readLag();
    if (!pending) return;
    const lag = await pending;
    observer.observe(unsent, lag.unsent, attributes);
    observer.observe(oldest, lag.oldestAgeMs ?? 0, attributes);
  };
  meter.addBatchObservableCallback(callback, [unsent, oldest]);
  return () => meter.removeBatchObservableCallback(callback, [unsent, oldest]);
}
