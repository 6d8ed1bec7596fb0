import { EventEmitter } from 'node:events';

import type { Logger } from '@trellis/service-kit';

import { RoundScheduler } from './round-scheduler';
import { RECORDED_CHANNEL, WakeListener, type ListenConnection } from './wake-listener';

const SCHEMA = 'notifications_t1';
const POLL_MS = 200;
const RECONNECT_MS = 5_000;

/** A stand-in pg connection: records its queries; the test emits notifications and losses. */
class FakeConnection extends EventEmitter implements ListenConnection {
  queries: string[] = [];
  ended = false;
  constructor(private readonly refuse = false) {
    super();
  }
  connect(): Promise<unknown> {
    return this.refuse ? Promise.reject(new Error('connection refused')) : Promise.resolve();
  }
  query(sql: string): Promise<unknown> {
    this.queries.push(sql);
    return Promise.resolve();
  }
  end(): Promise<unknown> {
    if (!this.ended) {
      this.ended = true;
      this.emit('end');
    }
    return Promise.resolve();
  }
  notify(schema: string, channel = RECORDED_CHANNEL): void {
    this.emit('notification', { channel, payload: schema });
  }
}

const logger = { warn: () => undefined } as unknown as Logger;
const settle = () => jest.advanceTimersByTimeAsync(0);

function setup(refuseFirst = false) {
  const connections: FakeConnection[] = [];
  const listener = new WakeListener({
    schema: SCHEMA,
    connection: () => {
      const c = new FakeConnection(refuseFirst && connections.length === 0);
      connections.push(c);
      return c;
    },
    reconnectMs: RECONNECT_MS,
    logger,
  });
  let rounds = 0;
  const scheduler = new RoundScheduler(
    () => {
      rounds += 1;
      return Promise.resolve();
    },
    POLL_MS,
    () => undefined,
  );
  return { connections, listener, scheduler, rounds: () => rounds };
}

describe('WakeListener', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('LISTENs on the recorded channel and wakes only for its own schema', async () => {
    const { connections, listener } = setup();
    const wakes: number[] = [];
    listener.start(() => wakes.push(1));
    await settle();
    expect(connections[0]?.queries).toEqual([`LISTEN ${RECORDED_CHANNEL}`]);
    expect(listener.listening).toBe(true);
    connections[0]?.notify('notifications_other');
    connections[0]?.notify(SCHEMA, 'trellis_outbox');
    expect(wakes).toHaveLength(0);
    connections[0]?.notify(SCHEMA);
    expect(wakes).toHaveLength(1);
    await listener.stop();
    expect(connections[0]?.ended).toBe(true);
  });

  it('notified: the worker runs a round now, not at the next poll', async () => {
    const { connections, listener, scheduler, rounds } = setup();
    scheduler.start();
    listener.start(() => scheduler.wake());
    await settle();
    expect(rounds()).toBe(1);
    connections[0]?.notify(SCHEMA);
    await settle();
    expect(rounds()).toBe(2);
    await listener.stop();
    await scheduler.stop();
  });

  it('listener lost: wakes once, the poll still runs, and it listens again after the delay', async () => {
    const { connections, listener, scheduler, rounds } = setup();
    scheduler.start();
    listener.start(() => scheduler.wake());
    await settle();
    connections[0]?.emit('error', new Error('terminating connection'));
    await settle();
    expect(listener.listening).toBe(false);
    expect(rounds()).toBe(2); // the catch-up round: something may have been recorded meanwhile
    expect(connections[0]?.ended).toBe(true);
    await jest.advanceTimersByTimeAsync(POLL_MS);
    expect(rounds()).toBe(3); // polling alone
    await jest.advanceTimersByTimeAsync(RECONNECT_MS);
    expect(connections).toHaveLength(2);
    expect(listener.listening).toBe(true);
    const before = rounds();
    connections[1]?.notify(SCHEMA);
    await settle();
    expect(rounds()).toBe(before + 1);
    await listener.stop();
    await scheduler.stop();
  });

  it('database unreachable at start: the poll runs, and it tries to listen again', async () => {
    const { connections, listener, scheduler, rounds } = setup(true);
    scheduler.start();
    listener.start(() => scheduler.wake());
    await settle();
    expect(listener.listening).toBe(false);
    await jest.advanceTimersByTimeAsync(POLL_MS * 3);
    expect(rounds()).toBeGreaterThanOrEqual(4);
    await jest.advanceTimersByTimeAsync(RECONNECT_MS);
    expect(connections).toHaveLength(2);
    expect(listener.listening).toBe(true);
    await listener.stop();
    await scheduler.stop();
  });

  it('stopped: no reconnection after the connection ends', async () => {
    const { connections, listener } = setup();
    listener.start(() => undefined);
    await settle();
    await listener.stop();
    await jest.advanceTimersByTimeAsync(RECONNECT_MS * 2);
    expect(connections).toHaveLength(1);
  });
});
