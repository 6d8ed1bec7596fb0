import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';

import { type PrismaClient } from '../../generated/prisma/client';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { GatewayPrismaService } from '../database/gateway-prisma.service';

export interface RateDecision {
  allowed: boolean;
  count: number;
  limit: number;
  retryAfterSeconds: number;
}

/**
 * Fixed-window counters in PostgreSQL, shared by every gateway replica: one UPSERT per request
 * (`INSERT … ON CONFLICT DO UPDATE SET count = count + 1 RETURNING`), window boundaries from the
 * database clock so replicas agree. Old windows are purged every minute.
 */
@Injectable()
export class RateLimiter implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RateLimiter');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(GatewayPrismaService) private readonly prisma: PrismaClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.purge().catch((e: unknown) => this.logger.warn(`rate-limit purge failed: ${String(e)}`));
    }, 60_000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async hit(subject: string, limit: number): Promise<RateDecision> {
    const w = this.config.rateLimitWindowSeconds;
    const rows = await this.prisma.$queryRaw<Array<{ count: number; retry_after: number }>>`
      INSERT INTO rate_limit_windows AS r (subject, window_start, count)
      VALUES (${subject}, to_timestamp(floor(extract(epoch FROM clock_timestamp()) / ${w}::int) * ${w}::int), 1)
      ON CONFLICT (subject, window_start) DO UPDATE SET count = r.count + 1
      RETURNING r.count,
        ceil(extract(epoch FROM r.window_start) + ${w}::int - extract(epoch FROM clock_timestamp()))::int AS retry_after`;
    const row = rows[0];
    const count = row?.count ?? 1;
    return {
      allowed: count <= limit,
      count,
      limit,
      retryAfterSeconds: Math.max(1, row?.retry_after ?? w),
    };
  }

  private purge(): Promise<number> {
    const keep = this.config.rateLimitWindowSeconds * 2;
    return this.prisma
      .$executeRaw`DELETE FROM rate_limit_windows WHERE window_start < clock_timestamp() - make_interval(secs => ${keep}::int)`;
  }
}
