import { Consumer, type Message, type MessagesStream } from '@platformatic/kafka';
import type { EventsLogger } from '../logger';
import type {
  BatchControl,
  ConsumedBatch,
  ConsumedMessage,
  ConsumerOptions,
  EventConsumer,
  PartitionLag,
} from '../port';
import { PartitionLanes } from './partition-lanes';
import { PlatformaticAdmin, type KafkaBase } from './platformatic-admin';

const partKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
/** Fetched messages waiting for their partition's lane at which fetching pauses. */
const MAX_QUEUED = 5_000;

export class PlatformaticConsumer implements EventConsumer {
  private consumer: Consumer | undefined;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private topics: readonly string[] = [];
  private running = false;
  private stopped = false;
  private restarting: Promise<void> | undefined;
  private generation = 0;
  private loop: Promise<void> | undefined;
  private runOptions: Parameters<EventConsumer['run']>[0] | undefined;

  constructor(
    private readonly base: KafkaBase,
    private readonly opts: ConsumerOptions,
    private readonly logger: EventsLogger,
  ) {}

  async run(options: {
    topics: readonly string[];
    eachBatch(batch: ConsumedBatch, control: BatchControl): Promise<void>;
  }): Promise<void> {
    this.topics = options.topics;
    this.runOptions = options;
    this.stopped = false;
    await this.start(options);
  }

  private async start(options: Parameters<EventConsumer['run']>[0]): Promise<void> {
    const consumer = new Consumer({
      ...this.base,
      groupId: this.opts.groupId,
      sessionTimeout: this.opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3_000,
      autocommit: false,
      maxWaitTime: 500,
    });
    this.consumer = consumer;
    consumer.on('consumer:group:rebalance', () => {
      this.generation++;
    });
    // A failed rejoin (e.g. the broker closed the connection mid-rebalance) is emitted as 'error'
    // and leaves the member without heartbeats: without a listener it would crash the process,
    // without a restart the consumer would sit idle. Either way: log, rebuild the member.
    consumer.on('error', (err: Error) => this.heal(consumer, err));
    consumer.on('consumer:heartbeat:stalled', (stall: { lastError?: Error }) =>
      this.heal(consumer, stall.lastError ?? new Error('consumer heartbeat stalled')),
    );
    this.stream = await consumer.consume({
      topics: [...options.topics],
      mode: 'committed',
      fallbackMode: this.opts.fromBeginning === false ? 'latest' : 'earliest',
      autocommit: false,
    });
    this.running = true;
    this.stream.on('error', (err: Error) => this.heal(consumer, err));
    this.loop = this.consume(this.stream, options.eachBatch);
  }

  /**
   * Hands what the stream delivers to per-partition lanes (partition-lanes.ts): each partition's
   * messages in order, one batch per partition at a time, up to `concurrency` partitions at once,
   * each lane going on with what its partition fetched meanwhile. Fetching pauses while
   * `MAX_QUEUED` messages wait. Resolves once the stream ended and the running batches settled;
   * rejects with the first batch that threw.
   */
  private async consume(
    stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>,
    eachBatch: (batch: ConsumedBatch, control: BatchControl) => Promise<void>,
  ): Promise<void> {
    type Msg = Message<Buffer, Buffer, Buffer, Buffer>;
    const lanes = new PartitionLanes<Msg>({
      concurrency: Math.max(1, this.opts.concurrency ?? 1),
      maxQueued: MAX_QUEUED,
      run: (messages) => this.runBatch(messages, this.generation, eachBatch),
      onFull: () => stream.pause(),
      onRoom: () => {
        if (stream.isPaused()) stream.resume();
      },
    });
    let ended: () => void = () => undefined;
    const streamEnded = new Promise<void>((resolve) => (ended = resolve));
    const onEnd = (): void => {
      // A late 'close' from a stream torn down by a rejoin must not stop its successor.
      if (this.stream === stream) this.running = false;
      ended();
    };
    stream.on('data', (m: Msg) => {
      if (this.running) lanes.add(partKey(m.topic, m.partition), m);
    });
    stream.once('close', onEnd);
    stream.once('end', onEnd);
    if (!this.running) ended();
    await Promise.race([streamEnded, lanes.whenFailed()]);
    await lanes.close();
  }

  private async runBatch(
    messages: Message<Buffer, Buffer, Buffer, Buffer>[],
    generation: number,
    eachBatch: (batch: ConsumedBatch, control: BatchControl) => Promise<void>,
  ): Promise<void> {
    const { topic, partition } = messages[0]!;
    let lastDone: Message<Buffer, Buffer, Buffer, Buffer> | undefined;
    let committed: Message<Buffer, Buffer, Buffer, Buffer> | undefined;
    const byOffset = new Map(messages.map((m) => [m.offset.toString(), m]));
    const control: BatchControl = {
      markDone: (offset) => {
        lastDone = byOffset.get(offset) ?? lastDone;
      },
      commit: async () => {
        if (!lastDone || lastDone === committed) return;
        await lastDone.commit();
        committed = lastDone;
      },
      heartbeat: async () => undefined,
      isRunning: () => this.running,
      isStale: () =>
        this.generation !== generation &&
        !(this.consumer?.assignments ?? []).some(
          (a) => a.topic === topic && a.partitions.includes(partition),
        ),
    };
    const consumed: ConsumedMessage[] = messages.map((m) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of m.headers) headers[k.toString()] = v.toString();
      return {
        topic,
        partition,
        offset: m.offset.toString(),
        key: m.key ?? null,
        value: m.value ?? null,
        headers,
        timestamp: Number(m.timestamp),
      };
    });
    await eachBatch(
      {
        topic,
        partition,
        highWatermark: (messages[messages.length - 1]!.offset + 1n).toString(),
        messages: consumed,
      },
      control,
    );
  }

  private heal(failed: Consumer, err: Error): void {
    if (this.stopped || this.consumer !== failed || this.restarting) return;
    this.logger.error({ groupId: this.opts.groupId, err }, 'consumer lost its group; rejoining');
    this.restarting = this.rejoin().finally(() => (this.restarting = undefined));
  }

  private async rejoin(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      await this.teardown();
      await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 10_000)));
      if (this.stopped || !this.runOptions) return;
      try {
        await this.start(this.runOptions);
        return;
      } catch (err) {
        this.logger.error({ groupId: this.opts.groupId, err, attempt }, 'consumer rejoin failed');
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.restarting;
    await this.teardown();
  }

  private async teardown(): Promise<void> {
    this.running = false;
    this.stream?.emit('end');
    await this.stream?.close().catch(() => undefined);
    await this.loop?.catch(() => undefined);
    await this.consumer?.close(true).catch(() => undefined);
  }

  async lag(): Promise<PartitionLag[]> {
    const admin = new PlatformaticAdmin(this.base);
    try {
      return await admin.groupLag(this.opts.groupId, this.topics);
    } finally {
      await admin.disconnect();
    }
  }
}
