import 'reflect-metadata';

import type { DynamicModule, FactoryProvider } from '@nestjs/common';
import { SERVICE_PRISMA, type Outbox, type RawSqlClient } from '@trellis/events';
import { baseConfigSchema } from '@trellis/service-kit';

import { AUTH_OPTIONS, type TrellisAuthOptions } from './auth.module';
import { serviceModule, serviceRootModule, type ServiceModuleConfig } from './service-module';
import { StaticSystemStatusFeed } from './system-status';

class FakePrismaClient {
  async $queryRaw(): Promise<unknown> {
    return [];
  }
  async $disconnect(): Promise<void> {}
}

class FakeController {}
class FakeService {}

const PRISMA = Symbol('svc.prisma');
const OUTBOX = Symbol('svc.outbox');
const config: ServiceModuleConfig = {
  ...baseConfigSchema.parse({ SERVICE_NAME: 'svc' }),
  GATEWAY_URL: 'https://gateway.trellis.test',
};
const scopeTable = { '/trellis.svc.v1.Svc/Get': { scope: 'system/Thing.r' } };
const statusFeed = new StaticSystemStatusFeed();

/** The infrastructure module and the auth guard's options provider of a root module. */
function partsOf(root: object): { infra: DynamicModule; options: FactoryProvider } {
  const [infra, auth] = Reflect.getMetadata('imports', root) as DynamicModule[];
  const options = (auth!.providers as FactoryProvider[]).find((p) => p.provide === AUTH_OPTIONS);
  return { infra: infra!, options: options! };
}

describe('serviceRootModule', () => {
  it('wires the infrastructure, the guard with access records, and the service’s own parts', () => {
    const topic = jest.fn(() => 'trellis.gateway.system.v1');
    const root = serviceRootModule({
      service: 'svc',
      prisma: [PRISMA, FakePrismaClient],
      outbox: { token: OUTBOX, accessRecords: true },
      scopeTable,
      requireServiceIdentity: true,
      statusTopic: topic,
      controllers: [FakeController],
      providers: [FakeService],
      overrides: { auth: { statusFeed } },
    });
    expect(root.name).toBe('svcRootModule');
    expect(Reflect.getMetadata('controllers', root)).toEqual([FakeController]);
    expect(Reflect.getMetadata('providers', root)).toEqual([FakeService]);
    const { infra, options } = partsOf(root);
    expect(infra.exports).toEqual([PRISMA, SERVICE_PRISMA, OUTBOX]);
    expect(options.inject).toHaveLength(3);
    const db = {} as RawSqlClient;
    const outbox = { enqueue: jest.fn() } as unknown as Outbox;
    const built = options.useFactory(config, db, outbox) as TrellisAuthOptions;
    expect(topic).toHaveBeenCalledWith(config);
    expect(built).toMatchObject({ service: 'svc', requireServiceIdentity: true, statusFeed });
    expect(built.scopeTable).toBe(scopeTable);
    expect(built.auditor).toBeDefined();
  });

  it('has no outbox and no access records for a service that publishes nothing', () => {
    const root = serviceRootModule({
      service: 'quiet',
      prisma: [PRISMA, FakePrismaClient],
      scopeTable,
      controllers: [],
      providers: [],
      overrides: { auth: { statusFeed } },
    });
    const { infra, options } = partsOf(root);
    expect(infra.exports).toEqual([PRISMA, SERVICE_PRISMA]);
    expect(options.inject).toHaveLength(1);
    const built = options.useFactory(config) as TrellisAuthOptions;
    expect(built.auditor).toBeUndefined();
    expect(built).not.toHaveProperty('requireServiceIdentity');
  });
});

describe('serviceModule', () => {
  it('builds a root module per call, with the overrides a test passes (none in production)', () => {
    const createModule = serviceModule({
      service: 'svc',
      prisma: [PRISMA, FakePrismaClient],
      scopeTable,
      controllers: [FakeController],
      providers: [FakeService],
    });
    const production = createModule();
    const tested = createModule({ auth: { statusFeed } });
    expect(tested).not.toBe(production);
    expect(production.name).toBe('svcRootModule');
    expect(Reflect.getMetadata('controllers', tested)).toEqual([FakeController]);
    const seamOf = (root: object) =>
      (partsOf(root).options.useFactory(config) as TrellisAuthOptions).statusFeed;
    expect(seamOf(tested)).toBe(statusFeed);
    // without the test's feed, production builds the Kafka one (and this config names no brokers)
    expect(() => seamOf(production)).toThrow('KAFKA_BROKERS is required');
  });
});
