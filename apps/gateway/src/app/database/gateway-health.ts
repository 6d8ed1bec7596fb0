import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { AUTH_STATUS_REGISTRY, authReadinessCheck, type SystemStatusRegistry } from '@trellis/auth';
import { HealthRegistry } from '@trellis/platform';

import { type PrismaClient } from '../../generated/prisma/client';
import { GatewayPrismaService } from './gateway-prisma.service';

/** /health/ready: PostgreSQL answers and the suspension feed has replayed. */
@Injectable()
export class GatewayHealthChecks implements OnModuleInit {
  constructor(
    private readonly health: HealthRegistry,
    @Inject(GatewayPrismaService) private readonly prisma: PrismaClient,
    @Inject(AUTH_STATUS_REGISTRY) private readonly statuses: SystemStatusRegistry,
  ) {}

  onModuleInit(): void {
    this.health.register('postgres', () => this.prisma.$queryRaw`SELECT 1`);
    this.health.register('auth-suspension-feed', authReadinessCheck(this.statuses));
  }
}
