import { Inject, Injectable } from '@nestjs/common';

import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { RateLimiter } from './rate-limiter';

/** Where a system's own budget is read (RateLimitRepository; a table in unit tests). */
export interface BudgetSource {
  /** The system's own per-window budget (null: the default). */
  systemBudget(systemId: string): Promise<number | null>;
}

export const BUDGET_SOURCE = Symbol('GATEWAY_BUDGET_SOURCE');

/** How long a system's budget is used before it is read again (ms). */
export const BUDGET_TTL_MS = 30_000;

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
    @Inject(BUDGET_SOURCE) private readonly source: BudgetSource,
  ) {}

  /** Spends one call of the system's budget: 0 when allowed, else seconds until it refills. */
  async spend(systemId: string): Promise<number> {
    const decision = await this.limiter.hit(`sys:${systemId}`, await this.budgetOf(systemId));
    return decision.allowed ? 0 : decision.retryAfterSeconds;
  }

  private async budgetOf(systemId: string): Promise<number> {
    const cached = this.budgets.get(systemId);
    if (cached && cached.until > Date.now()) return cached.limit;
    const limit = (await this.source.systemBudget(systemId)) ?? this.config.rateLimitPerWindow;
    this.budgets.set(systemId, { limit, until: Date.now() + BUDGET_TTL_MS });
    return limit;
  }
}
