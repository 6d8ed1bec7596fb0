import { PrismaLifecycle, type PrismaClientLike } from './lifecycle';

function fakeClient(queryImpl: () => Promise<unknown> = async () => [{ '?column?': 1 }]) {
  const calls: string[] = [];
  const client: PrismaClientLike = {
    $connect: async () => void calls.push('connect'),
    $disconnect: async () => void calls.push('disconnect'),
    $queryRaw: (async () => {
      calls.push('query');
      return queryImpl();
    }) as PrismaClientLike['$queryRaw'],
  };
  return { client, calls };
}

describe('PrismaLifecycle', () => {
  it('connects and pings on module init, disconnects on application shutdown', async () => {
    const { client, calls } = fakeClient();
    const messages: string[] = [];
    const lifecycle = new PrismaLifecycle(client, { log: (m) => messages.push(m) });
    await lifecycle.onModuleInit();
    await lifecycle.onApplicationShutdown();
    expect(calls).toEqual(['connect', 'query', 'disconnect']);
    expect(messages).toEqual(['database connected', 'database disconnected']);
  });

  it('fails boot when the database is unreachable', async () => {
    const { client } = fakeClient(async () => Promise.reject(new Error('ECONNREFUSED')));
    await expect(new PrismaLifecycle(client).onModuleInit()).rejects.toThrow('ECONNREFUSED');
  });

  it('reports readiness, false on error or timeout', async () => {
    expect(await new PrismaLifecycle(fakeClient().client).isReady()).toBe(true);
    expect(
      await new PrismaLifecycle(
        fakeClient(async () => Promise.reject(new Error('x'))).client,
      ).isReady(),
    ).toBe(false);
    const hanging = fakeClient(() => new Promise(() => undefined)).client;
    expect(await new PrismaLifecycle(hanging).isReady(20)).toBe(false);
  });
});
