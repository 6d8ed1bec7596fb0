import { uniqueGroupId } from './unique';

/**
 * What `readTopic` needs of an event bus: the consumer side of `@trellis/events`' EventBus (typed
 * structurally here, as libs/testing sits below the domain libs).
 */
export interface TopicReaderBus {
  consumer(options: { groupId: string; fromBeginning?: boolean }): {
    run(options: {
      topics: readonly string[];
      eachBatch(
        batch: { messages: readonly ReadableMessage[] },
        control: { markDone(offset: string): void },
      ): Promise<void>;
    }): Promise<void>;
    stop(): Promise<void>;
  };
}

export interface ReadableMessage {
  offset: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Readonly<
    Record<string, string | Uint8Array | ReadonlyArray<string | Uint8Array> | undefined>
  >;
}

/** A message read back from Kafka: key and headers as UTF-8 text. */
export interface ReadMessage {
  key: string | null;
  value: Uint8Array;
  headers: Record<string, string>;
}

export interface ReadTopicOptions {
  /** Prefix of the fresh consumer group (a unique suffix is added). */
  groupPrefix: string;
  /** Keep messages whose key matches (default: all). */
  match?: (key: string | null) => boolean;
  /** Stop once this many matching messages arrived. */
  count: number;
  /** Give up waiting for `count` after this long and return what arrived (default 20 s). */
  timeoutMs?: number;
  /**
   * Go on reading this long after `count` arrived (default 0), so that a duplicate or an extra
   * message would be seen by the caller's assertions too.
   */
  settleMs?: number;
}

function text(value: string | Uint8Array): string {
  return typeof value === 'string' ? value : Buffer.from(value).toString();
}

/**
 * Reads a topic from the beginning with a fresh consumer group until `count` matching messages
 * arrived (or `timeoutMs` passed), and returns them in the order read. The caller asserts on the
 * result: a short read fails its own `expect`, with the messages that did arrive in the diff.
 */
export async function readTopic(
  bus: TopicReaderBus,
  topic: string,
  options: ReadTopicOptions,
): Promise<ReadMessage[]> {
  const consumer = bus.consumer({
    groupId: uniqueGroupId(options.groupPrefix),
    fromBeginning: true,
  });
  const match = options.match ?? (() => true);
  const out: ReadMessage[] = [];
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, options.timeoutMs ?? 20_000);
  });
  try {
    await consumer.run({
      topics: [topic],
      eachBatch(batch, control) {
        for (const m of batch.messages) {
          const key = m.key ? Buffer.from(m.key).toString() : null;
          if (match(key)) {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(m.headers)) {
              if (v !== undefined && !Array.isArray(v)) headers[k] = text(v as string | Uint8Array);
            }
            out.push({ key, value: m.value ?? new Uint8Array(), headers });
            if (out.length >= options.count) done();
          }
          control.markDone(m.offset);
        }
        return Promise.resolve();
      },
    });
    await Promise.race([finished, timeout]);
    if (options.settleMs) await new Promise((resolve) => setTimeout(resolve, options.settleMs));
  } finally {
    clearTimeout(timer);
    await consumer.stop();
  }
  return out;
}
