import { idempotentCreate, idempotentReplay } from './idempotency';

describe('idempotentReplay', () => {
  const reused = (row: { id: string }) => new Error(`key reused by ${row.id}`);

  it('is undefined when nothing was stored under the key', async () => {
    const none = Promise.resolve<{ id: string; requestHash: string } | null>(null);
    await expect(idempotentReplay(none, 'h1', reused)).resolves.toBeUndefined();
  });
  it('replays the stored row of the same request', async () => {
    const row = { id: 'r1', requestHash: 'h1' };
    await expect(idempotentReplay(Promise.resolve(row), 'h1', reused)).resolves.toBe(row);
  });
  it("refuses a key used for another request with the caller's error", async () => {
    const row = { id: 'r1', requestHash: 'h2' };
    await expect(idempotentReplay(Promise.resolve(row), 'h1', reused)).rejects.toThrow(
      'key reused by r1',
    );
  });
});

describe('idempotentCreate', () => {
  interface Row {
    id: string;
    requestHash: string;
  }
  const uniqueViolation = Object.assign(new Error('duplicate key'), { code: '23505' });
  function request(stored: Row | undefined) {
    return idempotentCreate<Row>({
      stored: () => Promise.resolve(stored),
      requestHash: 'h1',
      reused: (row) => new Error(`key reused by ${row.id}`),
    });
  }

  it('replays the earlier answer of the same request, refuses the key for another', async () => {
    await expect(request(undefined).replay()).resolves.toBeUndefined();
    await expect(request({ id: 'r1', requestHash: 'h1' }).replay()).resolves.toEqual({
      id: 'r1',
      requestHash: 'h1',
    });
    await expect(request({ id: 'r1', requestHash: 'h2' }).replay()).rejects.toThrow(
      'key reused by r1',
    );
  });

  it('answers the written row as new', async () => {
    const row = { id: 'r2', requestHash: 'h1' };
    await expect(request(undefined).create(() => Promise.resolve(row))).resolves.toEqual({
      row,
      replayed: false,
    });
  });

  it("answers a lost race with the winner's row as a replay, or refuses the key's reuse", async () => {
    const lose = () => Promise.reject(uniqueViolation);
    const winner = { id: 'w', requestHash: 'h1' };
    await expect(request(winner).create(lose)).resolves.toEqual({ row: winner, replayed: true });
    await expect(request({ id: 'w', requestHash: 'h2' }).create(lose)).rejects.toThrow(
      'key reused by w',
    );
  });

  it('lets a failure stand when no race was lost or no winner is stored', async () => {
    const other = new Error('check violation');
    await expect(
      request({ id: 'w', requestHash: 'h1' }).create(() => Promise.reject(other)),
    ).rejects.toBe(other);
    await expect(request(undefined).create(() => Promise.reject(uniqueViolation))).rejects.toBe(
      uniqueViolation,
    );
  });

  it('takes what counts as losing the race from the caller', async () => {
    const taken = new Error('slot taken');
    const winner = { id: 'w', requestHash: 'h1' };
    await expect(
      request(winner).create(
        () => Promise.reject(taken),
        (err) => err === taken,
      ),
    ).resolves.toEqual({ row: winner, replayed: true });
  });
});
