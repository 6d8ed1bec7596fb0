import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { toPoolConfig } from '@trellis/database';

import { PrismaClient } from '../../generated/prisma/client';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';

/** Creates the gateway's Prisma client on its own PostgreSQL schema. */
export function createGatewayPrisma(url: string, schema: string): PrismaClient {
  const adapter = new PrismaPg(toPoolConfig({ url, schema }, { max: 10 }), { schema });
  return new PrismaClient({ adapter });
}

@Injectable()
export class GatewayPrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    const adapter = new PrismaPg(
      toPoolConfig(
        { url: config.databaseUrl, schema: config.databaseSchema },
        { max: config.databasePoolSize },
      ),
      {
        schema: config.databaseSchema,
      },
    );
    super({ adapter });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
