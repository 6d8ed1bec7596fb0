import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { AUTH_SUSPENSION_CHECK, suspensionFeedCheck, type SuspensionCheck } from '@trellis/auth';
import { HealthRegistry } from '@trellis/service-kit';

import { type PrismaClient } from '../../generated/prisma/client';
import { GatewayPrismaService } from './gateway-prisma.service';

/**
 * /health/ready: PostgreSQL answers (critical). The suspension feed is non-critical: while it has
 * not replayed, suspensions are checked against the registry table, and readiness says `degraded`.
 */
@Injectable()
export class GatewayHealthChecks implements OnModuleInit {
  constructor(
    private readonly health: HealthRegistry,
    @Inject(GatewayPrismaService) private readonly prisma: PrismaClient,
    @Inject(AUTH_SUSPENSION_CHECK) private readonly suspensions: SuspensionCheck,
  ) {}

  onModuleInit(): void {
    // eslint-disable-next-line no-restricted-syntax -- the readiness probe: the connection answers, no query of the registry
    this.health.register('postgres', () => this.prisma.$queryRaw`SELECT 1`);
    this.health.register('suspension-feed', suspensionFeedCheck(this.suspensions), {
      critical: false,
    });
  }
}
