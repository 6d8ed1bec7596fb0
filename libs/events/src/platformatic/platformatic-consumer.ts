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
import { PlatformaticAdmin, type KafkaBase } from './platformatic-admin';

const partKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

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

  /** Takes what the stream delivered so far, groups it by partition, one batch per partition. */
  private async consume(
    stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>,
    eachBatch: (batch: ConsumedBatch, control: BatchControl) => Promise<void>,
  ): Promise<void> {
    const concurrency = this.opts.concurrency ?? 1;
    type Msg = Message<Buffer, Buffer, Buffer, Buffer>;
    let queue: Msg[] = [];
    let wake: (() => void) | undefined;
    stream.on('data', (m: Msg) => {
      queue.push(m);
      if (queue.length >= 5_000) stream.pause();
      wake?.();
    });
    const ended = (): void => {
      // A late 'close' from a stream torn down by a rejoin must not stop its successor.
      if (this.stream === stream) this.running = false;
      wake?.();
    };
    stream.once('close', ended);
    stream.once('end', ended);
    while (this.running) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const taken = queue;
      queue = [];
      if (stream.isPaused()) stream.resume();
      const byPartition = new Map<string, Msg[]>();
      for (const m of taken) {
        const key = partKey(m.topic, m.partition);
        let list = byPartition.get(key);
        if (!list) byPartition.set(key, (list = []));
        list.push(m);
      }
      const batches = [...byPartition.values()];
      const generation = this.generation;
      for (let i = 0; i < batches.length; i += concurrency) {
        await Promise.all(
          batches.slice(i, i + concurrency).map((b) => this.runBatch(b, generation, eachBatch)),
        );
      }
    }
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
