import type { FactoryProvider } from '@nestjs/common';

import type { Outbox } from './outbox/outbox';
import { SERVICE_PRISMA, serviceInfraModule } from './service-infra.module';

class FakePrismaClient {
  async $queryRaw(): Promise<unknown> {
    return [];
  }
  async $disconnect(): Promise<void> {}
}

const PRISMA = Symbol('svc.prisma');
const OUTBOX = Symbol('svc.outbox');

describe('serviceInfraModule', () => {
  it('provides and exports the Prisma client and the outbox writer, globally', () => {
    const mod = serviceInfraModule({
      service: 'referrals',
      prisma: [PRISMA, FakePrismaClient],
      outbox: OUTBOX,
    });
    expect(mod.global).toBe(true);
    expect(mod.module.name).toBe('referralsInfraModule');
    expect(mod.exports).toEqual([PRISMA, SERVICE_PRISMA, OUTBOX]);
    const provided = (mod.providers ?? []) as FactoryProvider[];
    expect(provided.map((p) => p.provide)).toEqual([PRISMA, SERVICE_PRISMA, OUTBOX]);
    // the shared token is the service's own client, not a second one
    expect(provided[1]).toEqual({ provide: SERVICE_PRISMA, useExisting: PRISMA });
    const outbox = provided[2]!.useFactory() as Outbox;
    expect(outbox.source).toBe('/trellis/referrals');
  });

  it('has no outbox for a service that publishes nothing', () => {
    const mod = serviceInfraModule({ service: 'conformance', prisma: [PRISMA, FakePrismaClient] });
    expect(mod.exports).toEqual([PRISMA, SERVICE_PRISMA]);
    expect(mod.providers).toHaveLength(2);
  });
});
