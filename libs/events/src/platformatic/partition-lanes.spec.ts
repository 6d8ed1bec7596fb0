import { PartitionLanes } from './partition-lanes';

/** A batch run that the test finishes by hand. */
interface Started {
  messages: string[];
  finish(): void;
  fail(error: Error): void;
}

function lanesUnderTest(opts: { concurrency: number; maxQueued?: number }) {
  const started: Started[] = [];
  const flow: string[] = [];
  const lanes = new PartitionLanes<string>({
    concurrency: opts.concurrency,
    maxQueued: opts.maxQueued ?? 1_000,
    run: (messages) =>
      new Promise<void>((resolve, reject) => {
        started.push({
          messages,
          finish: () => resolve(),
          fail: (error) => reject(error),
        });
      }),
    onFull: () => flow.push('pause'),
    onRoom: () => flow.push('resume'),
  });
  return { lanes, started, flow };
}

/** Lets queued microtasks and promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('PartitionLanes', () => {
  it('hands the messages one fetch delivers in a row to one batch per partition', async () => {
    const { lanes, started } = lanesUnderTest({ concurrency: 4 });
    for (const m of ['a0', 'b0', 'a1', 'b1', 'a2']) lanes.add(m[0]!, m);
    await settle();
    expect(started.map((s) => s.messages)).toEqual([
      ['a0', 'a1', 'a2'],
      ['b0', 'b1'],
    ]);
  });

  it('lets a partition go on while another partition is still running', async () => {
    const { lanes, started } = lanesUnderTest({ concurrency: 2 });
    lanes.add('a', 'a0');
    lanes.add('b', 'b0');
    await settle();
    started[1]!.finish(); // b done, a still running
    lanes.add('b', 'b1');
    lanes.add('b', 'b2');
    await settle();
    expect(started.map((s) => s.messages)).toEqual([['a0'], ['b0'], ['b1', 'b2']]);
    started[2]!.finish();
    started[0]!.finish();
    await lanes.close();
  });

  it('keeps one batch per partition at a time, in order', async () => {
    const { lanes, started } = lanesUnderTest({ concurrency: 4 });
    lanes.add('a', 'a0');
    await settle();
    lanes.add('a', 'a1');
    lanes.add('a', 'a2');
    await settle();
    expect(started).toHaveLength(1); // a1, a2 wait for a0's batch
    started[0]!.finish();
    await settle();
    expect(started.map((s) => s.messages)).toEqual([['a0'], ['a1', 'a2']]);
  });

  it('runs at most `concurrency` partitions, the waiting ones in the order they arrived', async () => {
    const { lanes, started } = lanesUnderTest({ concurrency: 1 });
    lanes.add('a', 'a0');
    lanes.add('b', 'b0');
    lanes.add('c', 'c0');
    await settle();
    expect(started.map((s) => s.messages)).toEqual([['a0']]);
    lanes.add('a', 'a1'); // a queues again behind b and c
    started[0]!.finish();
    await settle();
    started[1]!.finish();
    await settle();
    started[2]!.finish();
    await settle();
    expect(started.map((s) => s.messages)).toEqual([['a0'], ['b0'], ['c0'], ['a1']]);
  });

  it('pauses fetching at maxQueued and resumes once a batch took the messages', async () => {
    const { lanes, started, flow } = lanesUnderTest({ concurrency: 1, maxQueued: 3 });
    lanes.add('a', 'a0');
    await settle();
    lanes.add('b', 'b0');
    lanes.add('b', 'b1');
    expect(flow).toEqual([]);
    lanes.add('c', 'c0');
    expect(flow).toEqual(['pause']);
    expect(lanes.pending).toBe(3);
    started[0]!.finish();
    await settle();
    expect(flow).toEqual(['pause', 'resume']); // b's batch took two of the three
    expect(lanes.pending).toBe(1);
  });

  it('close() waits for the running batches and drops what is queued', async () => {
    const { lanes, started } = lanesUnderTest({ concurrency: 1 });
    lanes.add('a', 'a0');
    lanes.add('b', 'b0');
    await settle();
    let closed = false;
    const closing = lanes.close().then(() => (closed = true));
    await settle();
    expect(closed).toBe(false);
    started[0]!.finish();
    await closing;
    lanes.add('c', 'c0');
    await settle();
    expect(started.map((s) => s.messages)).toEqual([['a0']]);
  });

  it('after a failed batch starts no more and close() rejects with the failure', async () => {
    const { lanes, started } = lanesUnderTest({ concurrency: 2 });
    lanes.add('a', 'a0');
    lanes.add('b', 'b0');
    await settle();
    let failed = false;
    void lanes.whenFailed().then(() => (failed = true));
    started[0]!.fail(new Error('handler broke'));
    await settle();
    expect(failed).toBe(true);
    lanes.add('a', 'a1');
    await settle();
    const closing = lanes.close();
    started[1]!.finish();
    await expect(closing).rejects.toThrow('handler broke');
    expect(started).toHaveLength(2);
  });
});
