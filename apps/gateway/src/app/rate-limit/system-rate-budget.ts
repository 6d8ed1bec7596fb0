import { Inject, Injectable } from '@nestjs/common';

import { type PrismaClient } from '../../generated/prisma/client';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { GatewayPrismaService } from '../database/gateway-prisma.service';
import { RateLimiter } from './rate-limiter';

/**
 * The one per-system budget of every door (FHIR REST, the admin gRPC API and the gRPC front door):
 * one `sys:<id>` bucket in the shared RateLimiter, so a call on either protocol spends from it.
 * A system's own `rate_limit_per_window` overrides the default (re-read every 30 s).
 */
@Injectable()
export class SystemRateBudget {
  private readonly budgets = new Map<string, { limit: number; until: number }>();

  constructor(
    private readonly limiter: RateLimiter,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GatewayPrismaService) private readonly prisma: PrismaClient,
  ) {}

  /** Spends one call of the system's budget: 0 when allowed, else seconds until it refills. */
  async spend(systemId: string): Promise<number> {
    const decision = await this.limiter.hit(`sys:${systemId}`, await this.budgetOf(systemId));
    return decision.allowed ? 0 : decision.retryAfterSeconds;
  }

  private async budgetOf(systemId: string): Promise<number> {
    const cached = this.budgets.get(systemId);
    if (cached && cached.until > Date.now()) return cached.limit;
    const row = await this.prisma.connectedSystem.findUnique({
      where: { id: systemId },
      select: { rateLimitPerWindow: true },
    });
    const limit = row?.rateLimitPerWindow ?? this.config.rateLimitPerWindow;
    this.budgets.set(systemId, { limit, until: Date.now() + 30_000 });
    return limit;
  }
}
