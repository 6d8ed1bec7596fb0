import { metrics, type BatchObservableCallback } from '@opentelemetry/api';

/** Lag of one partition as of the consumer's last batch. */
export interface PartitionLagSample {
  topic: string;
  partition: number;
  lag: number;
}

/**
 * Registers the consumer-lag gauge of one group, reading `lagByPartition` (kept up to date by
 * the consumer) at each collection. Returns the unregister call.
 */
export function registerConsumerLagGauge(
  groupId: string,
  lagByPartition: ReadonlyMap<string, PartitionLagSample>,
): () => void {
  const meter = metrics.getMeter('@trellis/events');
  const lagGauge = meter.createObservableGauge('trellis.events.consumer.lag', {
    description: 'Messages behind the high watermark, per partition, as of the last batch',
  });
  const callback: BatchObservableCallback = (observer) => {
    for (const l of lagByPartition.values()) {
      observer.observe(lagGauge, l.lag, {
        group: groupId,
        topic: l.topic,
        partition: l.partition,
      });
    }
  };
  meter.addBatchObservableCallback(callback, [lagGauge]);
  return () => meter.removeBatchObservableCallback(callback, [lagGauge]);
}
