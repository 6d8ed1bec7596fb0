import { HealthRegistry } from './health-registry';
import { databaseSettings, prismaClientProvider, type PrismaClientLike } from './prisma-provider';
import { ShutdownHooks, ShutdownOrder } from './shutdown-hooks';

class FakeClient implements PrismaClientLike {
  static made: FakeClient[] = [];
  queries: string[] = [];
  disconnected = false;
  constructor(readonly options: { adapter: unknown }) {
    FakeClient.made.push(this);
  }
  $queryRaw(query: TemplateStringsArray): PromiseLike<unknown> {
    this.queries.push(query.join('?'));
    return Promise.resolve([{ '?column?': 1 }]);
  }
  $disconnect(): Promise<void> {
    this.disconnected = true;
    return Promise.resolve();
  }
}

const config = {
  SERVICE_NAME: 'referrals',
  DATABASE_URL: 'postgresql://trellis@127.0.0.1:5432/trellis',
  DATABASE_SCHEMA: 'referrals_t1',
  DATABASE_POOL_SIZE: 4,
};

describe('databaseSettings', () => {
  it("reads the service's connection and names it in pg_stat_activity", () => {
    expect(databaseSettings(config)).toEqual({
      url: config.DATABASE_URL,
      schema: 'referrals_t1',
      poolSize: 4,
      applicationName: 'referrals',
    });
    expect(databaseSettings({ ...config, DATABASE_POOL_SIZE: undefined })).not.toHaveProperty(
      'poolSize',
    );
  });

  it('names every missing setting at once', () => {
    expect(() => databaseSettings({ SERVICE_NAME: 'audit' })).toThrow(
      'audit needs DATABASE_URL and DATABASE_SCHEMA for its database',
    );
  });
});

describe('prismaClientProvider', () => {
  it('connects at boot, registers the readiness check and disconnects in the database step', async () => {
    const token = Symbol('prisma');
    const provider = prismaClientProvider(token, FakeClient);
    expect(provider.provide).toBe(token);
    const health = new HealthRegistry();
    const hooks = new ShutdownHooks();
    const client = await provider.useFactory(config, health, hooks);
    expect(client).toBe(FakeClient.made.at(-1));
    expect(client.queries).toEqual(['SELECT 1']);
    expect(hooks.list()).toEqual([{ name: 'prisma', order: ShutdownOrder.DATABASE }]);
    expect(await health.isReady()).toBe(true);
    expect(client.queries).toEqual(['SELECT 1', 'SELECT 1']);
    await hooks.runAll(Date.now() + 1000);
    expect(client.disconnected).toBe(true);
  });
});
