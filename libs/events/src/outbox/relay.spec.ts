// The relay's pipeline over an in-memory outbox (a fake pg Client) and a publisher whose sends
// settle when the test says: what is handed to the producer while a batch waits for its ack,
// and what is marked sent when.
import type { EventPublisher, OutgoingMessage } from '../port';
import { OutboxRelay, splitByKeys } from './relay';

interface MockRow {
  seq: number;
  key: string | null;
  topic: string;
  sent: boolean;
}

const mockTable: MockRow[] = [];
const mockMarked: number[][] = [];

jest.mock('pg', () => ({
  ...jest.requireActual<object>('pg'),
  Client: class {
    on(): void {}
    connect(): Promise<void> {
      return Promise.resolve();
    }
    end(): Promise<void> {
      return Promise.resolve();
    }
    escapeIdentifier(name: string): string {
      return `"${name}"`;
    }
    query(text: string, values: unknown[] = []): Promise<{ rows: unknown[] }> {
      if (text.includes('pg_try_advisory_lock')) return Promise.resolve({ rows: [{ ok: true }] });
      if (text.startsWith('SELECT id, seq')) {
        const [limit, blocked, inFlight] = values as [number, string[], string[]];
        const rows = mockTable
          .filter((r) => !r.sent && !blocked.includes(r.topic) && !inFlight.includes(String(r.seq)))
          .sort((a, b) => a.seq - b.seq)
          .slice(0, limit)
          .map((r) => ({
            id: `00000000-0000-4000-8000-${String(r.seq).padStart(12, '0')}`,
            seq: String(r.seq),
            topic: r.topic,
            key: r.key,
            ce_type: 'uk.nhs.trellis.test.Happened.v1',
            ce_source: '/trellis/test',
            ce_subject: null,
            ce_time: new Date(0),
            ce_dataschema: null,
            ods_code: null,
            region: null,
            regions: null,
            headers: null,
            payload: Buffer.alloc(0),
          }));
        return Promise.resolve({ rows });
      }
      if (text.includes('SET sent_at')) {
        const seqs = (values[0] as string[]).map(Number);
        for (const r of mockTable) if (seqs.includes(r.seq)) r.sent = true;
        mockMarked.push(seqs);
      }
      return Promise.resolve({ rows: [] });
    }
  },
}));

interface Send {
  seqs: number[];
  keys: (string | null)[];
  settled: boolean;
  ok: boolean;
  resolve(): void;
  reject(error: Error): void;
}

/** A publisher whose sends wait for the test; it records what was in flight together. */
class HeldPublisher implements EventPublisher {
  readonly sends: Send[] = [];
  /** Sets of keys in flight at once (each send's keys against the unsettled ones). */
  readonly overlaps: Array<{ keysInCommon: number; unsettled: number }> = [];

  connect(): Promise<void> {
    return Promise.resolve();
  }
  disconnect(): Promise<void> {
    return Promise.resolve();
  }
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    const keys = messages.map((m) => m.key);
    const unsettled = this.sends.filter((s) => !s.settled);
    const busy = new Set(unsettled.flatMap((s) => s.keys));
    this.overlaps.push({
      keysInCommon: keys.filter((k) => busy.has(k)).length,
      unsettled: unsettled.length,
    });
    return new Promise<void>((resolve, reject) => {
      const send: Send = {
        seqs: messages.map((m) => Number(m.headers['ce_id']!.slice(-12))),
        keys,
        settled: false,
        ok: false,
        resolve: () => {
          send.settled = send.ok = true;
          resolve();
        },
        reject: (error) => {
          send.settled = true;
          reject(error);
        },
      };
      this.sends.push(send);
    });
  }
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function fill(keys: (string | null)[], topics: string[] = []): void {
  mockTable.splice(
    0,
    mockTable.length,
    ...keys.map((key, i) => ({
      seq: i + 1,
      key,
      topic: topics[i] ?? 'trellis.test.a.v1',
      sent: false,
    })),
  );
  mockMarked.splice(0);
}

function relayOver(publisher: EventPublisher, backoffMs = 5): OutboxRelay {
  return new OutboxRelay({
    databaseUrl: 'postgresql://u:p@127.0.0.1:5432/db',
    schema: 'relay_spec',
    publisher,
    batchSize: 3,
    pollIntervalMs: 5,
    backoff: { initialMs: backoffMs, maxMs: 2 * backoffMs },
    metrics: false,
  });
}

describe('OutboxRelay pipeline', () => {
  it('hands the next batch over while the previous waits for its ack, without its keys', async () => {
    fill(['A', 'B', 'C', 'A', 'D', 'E', 'F']);
    const publisher = new HeldPublisher();
    const relay = relayOver(publisher);
    await relay.start();
    try {
      await until('two sends', () => publisher.sends.length === 2);
      // 4 (key A) waits for the batch that holds A; nothing is marked before an ack
      expect(publisher.sends.map((s) => s.seqs)).toEqual([
        [1, 2, 3],
        [5, 6],
      ]);
      expect(mockMarked).toEqual([]);

      publisher.sends[0]!.resolve();
      // the held row goes as soon as its key's batch is acknowledged, without a new read
      await until('third send', () => publisher.sends.length === 3);
      expect(publisher.sends[2]!.seqs).toEqual([4]);
      await until('first mark', () => mockMarked.length === 1);
      expect(mockMarked).toEqual([[1, 2, 3]]); // 5 and 6 are not acknowledged yet

      await until('all marked', () => {
        for (const s of publisher.sends) if (!s.settled) s.resolve();
        return mockTable.every((r) => r.sent);
      });
      expect(mockMarked).toEqual([[1, 2, 3], [5, 6], [4], [7]]);
      expect(publisher.overlaps.every((o) => o.keysInCommon === 0 && o.unsettled <= 1)).toBe(true);
    } finally {
      await relay.stop();
    }
  });

  it('treats a null key as one key', async () => {
    fill([null, 'B', 'C', null, 'D']);
    const publisher = new HeldPublisher();
    const relay = relayOver(publisher);
    await relay.start();
    try {
      await until('two sends', () => publisher.sends.length === 2);
      expect(publisher.sends.map((s) => s.seqs)).toEqual([[1, 2, 3], [5]]);
      publisher.sends[0]!.resolve();
      await until('third send', () => publisher.sends.length === 3);
      expect(publisher.sends[2]!.seqs).toEqual([4]);
      publisher.sends[1]!.resolve();
      publisher.sends[2]!.resolve();
      await until('all marked', () => mockTable.every((r) => r.sent));
    } finally {
      await relay.stop();
    }
  });

  it('after a failed batch, publishes its keys again before their later rows', async () => {
    fill(['A', 'B', 'C', 'A', 'D', 'E', 'F', 'B']);
    const publisher = new HeldPublisher();
    const relay = relayOver(publisher);
    await relay.start();
    try {
      await until('two sends', () => publisher.sends.length === 2);
      publisher.sends[0]!.reject(new Error('broker unavailable'));
      // keep acknowledging what follows until everything is marked sent
      await until('all marked', () => {
        for (const s of publisher.sends) if (!s.settled) s.resolve();
        return mockTable.every((r) => r.sent);
      });
      const acked = publisher.sends.filter((s) => s.ok);
      for (const key of ['A', 'B']) {
        const seqs = acked.flatMap((s) => s.seqs.filter((q) => mockTable[q - 1]!.key === key));
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(new Set(seqs).size).toBe(seqs.length);
      }
      // a row is marked only once a send holding it was acknowledged
      for (const seq of mockMarked.flat()) {
        expect(acked.some((s) => s.seqs.includes(seq))).toBe(true);
      }
      expect(publisher.overlaps.every((o) => o.keysInCommon === 0)).toBe(true);
      expect(relay.stats.failedPublishes).toBe(1);
    } finally {
      await relay.stop();
    }
  });

  it('after a partly failed batch, reads the rows it held again', async () => {
    // 1 and 4 (key A) on topic t1, the rest on t2; the first sends holding 1 fail
    fill(['A', 'B', 'C', 'A', 'D', 'E'], ['t1', 't2', 't2', 't1', 't2', 't2']);
    const publisher = new HeldPublisher();
    const relay = relayOver(publisher);
    await relay.start();
    try {
      await until('two sends', () => publisher.sends.length === 2);
      let failuresOf1 = 0;
      await until('all marked', () => {
        for (const s of publisher.sends) {
          if (s.settled) continue;
          if (s.seqs.includes(1) && failuresOf1 < 2) {
            failuresOf1 += 1;
            s.reject(new Error('topic t1 unavailable'));
          } else s.resolve();
        }
        return mockTable.every((r) => r.sent);
      });
      const acked = publisher.sends.filter((s) => s.ok).flatMap((s) => s.seqs);
      expect(acked.filter((q) => q === 1 || q === 4)).toEqual([1, 4]);
    } finally {
      await relay.stop();
    }
  });

  it('keeps a topic that failed aside when a batch handed over before the failure succeeds', async () => {
    fill(['A', 'B', 'C', 'D']);
    const publisher = new HeldPublisher();
    const relay = relayOver(publisher, 60_000);
    await relay.start();
    try {
      await until('two sends', () => publisher.sends.length === 2);
      publisher.sends[0]!.reject(new Error('broker unavailable'));
      publisher.sends[1]!.resolve();
      await until('second batch marked', () => mockMarked.length === 1);
      await new Promise((r) => setTimeout(r, 50));
      expect(publisher.sends).toHaveLength(2); // not retried before its backoff
      expect(mockTable.filter((r) => !r.sent).map((r) => r.seq)).toEqual([1, 2, 3]);
    } finally {
      await relay.stop();
    }
  });
});

describe('splitByKeys', () => {
  it('holds every row of a busy key, keeping the order of both parts', () => {
    const rows = [{ key: 'A' }, { key: null }, { key: 'B' }, { key: 'A' }, { key: 'C' }];
    expect(splitByKeys(rows, new Set(['A', '']))).toEqual([
      [{ key: 'B' }, { key: 'C' }],
      [{ key: 'A' }, { key: null }, { key: 'A' }],
    ]);
  });
});
