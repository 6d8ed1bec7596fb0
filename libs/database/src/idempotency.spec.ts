import { idempotentReplay } from './idempotency';

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
