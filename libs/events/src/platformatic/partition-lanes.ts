/**
 * The consumer adapter's per-partition lanes. Each partition's fetched messages wait in their own
 * queue and are handed to `run` in order, one batch per partition at a time (order is per key, so
 * per partition), while up to `concurrency` partitions run at once. A lane that finishes takes
 * everything its partition queued meanwhile and goes on, without waiting for the other partitions:
 * the loop this replaces ran every partition's batch of a turn and awaited the slowest before
 * taking what had been fetched meanwhile (docs/performance.md, "Events path, the consumer at
 * 10,000 events/s").
 */
export interface PartitionLanesOptions<M> {
  /** Partitions whose batches run at the same time (at least 1). */
  concurrency: number;
  /** Messages queued over all lanes at which `onFull` is called (the adapter pauses fetching). */
  maxQueued: number;
  /** Handles one partition's batch; the lane's next batch starts after it settled. */
  run(messages: M[]): Promise<void>;
  onFull(): void;
  /** Called once the queued messages fell below `maxQueued` again after `onFull`. */
  onRoom(): void;
}

interface Lane<M> {
  queue: M[];
  busy: boolean;
  waiting: boolean;
}

export class PartitionLanes<M> {
  private readonly lanes = new Map<string, Lane<M>>();
  /** Lanes with queued messages and no batch running, in the order they became so. */
  private readonly waiting: Lane<M>[] = [];
  private queued = 0;
  private active = 0;
  private full = false;
  private startScheduled = false;
  private closed = false;
  private failure: { error: unknown } | undefined;
  private idle: Array<() => void> = [];
  private failed: Array<() => void> = [];

  constructor(private readonly options: PartitionLanesOptions<M>) {}

  /**
   * Queues a message of partition `key`. Batches start on the next microtask, so the messages one
   * fetch response delivers in a row (several partitions at once) go out together, and the
   * partitions' batches start in the same turn of the event loop.
   */
  add(key: string, message: M): void {
    if (this.closed) return;
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = { queue: [], busy: false, waiting: false }));
    lane.queue.push(message);
    this.queued += 1;
    if (!this.full && this.queued >= this.options.maxQueued) {
      this.full = true;
      this.options.onFull();
    }
    this.markWaiting(lane);
    if (!this.startScheduled) {
      this.startScheduled = true;
      queueMicrotask(() => {
        this.startScheduled = false;
        this.startWaiting();
      });
    }
  }

  /** Messages queued and not yet handed to a batch. */
  get pending(): number {
    return this.queued;
  }

  /** Resolves once a batch failed (the lanes then start no more batches). */
  whenFailed(): Promise<void> {
    if (this.failure) return Promise.resolve();
    return new Promise((resolve) => this.failed.push(resolve));
  }

  /**
   * Starts no more batches and drops what is queued; resolves once the running batches settled,
   * or rejects with the first batch failure.
   */
  async close(): Promise<void> {
    this.closed = true;
    while (this.active > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    if (this.failure) throw this.failure.error;
  }

  private markWaiting(lane: Lane<M>): void {
    if (lane.busy || lane.waiting || lane.queue.length === 0) return;
    lane.waiting = true;
    this.waiting.push(lane);
  }

  private startWaiting(): void {
    while (!this.closed && this.active < this.options.concurrency && this.waiting.length > 0) {
      const lane = this.waiting.shift()!;
      lane.waiting = false;
      this.start(lane);
    }
  }

  private start(lane: Lane<M>): void {
    const batch = lane.queue;
    lane.queue = [];
    lane.busy = true;
    this.queued -= batch.length;
    this.active += 1;
    if (this.full && this.queued < this.options.maxQueued) {
      this.full = false;
      this.options.onRoom();
    }
    void this.options
      .run(batch)
      .catch((error: unknown) => {
        if (!this.failure) this.failure = { error };
        this.closed = true;
        for (const resolve of this.failed.splice(0)) resolve();
      })
      .finally(() => {
        lane.busy = false;
        this.active -= 1;
        this.markWaiting(lane);
        this.startWaiting();
        if (this.active === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
  }
}
