import { Inject, Injectable } from '@nestjs/common';

import { type PrismaClient } from '../../generated/prisma/client';
import { GatewayPrismaService } from '../database/gateway-prisma.service';
import { type RateDelta, type RateStore } from './rate-limiter';
import { type BudgetSource } from './system-rate-budget';

/**
 * The rate limits' storage: the shared counters (`rate_limit_windows` in the gateway schema, one
 * multi-row UPSERT per sync) and each system's own budget from the registry.
 */
@Injectable()
export class RateLimitRepository implements RateStore, BudgetSource {
  constructor(@Inject(GatewayPrismaService) private readonly prisma: PrismaClient) {}

  async add(
    deltas: readonly RateDelta[],
  ): Promise<{ counts: Map<string, number>; storeNowMs: number }> {
    const rows = await this.prisma.$queryRaw<
      Array<{ subject: string; count: number; now_ms: number }>
    >`
      INSERT INTO rate_limit_windows AS r (subject, window_start, count)
      SELECT u.subject, to_timestamp(u.ws), u.delta
        FROM unnest(${deltas.map((d) => d.subject)}::text[],
                    ${deltas.map((d) => d.windowStart)}::float8[],
                    ${deltas.map((d) => d.delta)}::int[]) AS u(subject, ws, delta)
      ON CONFLICT (subject, window_start) DO UPDATE SET count = r.count + EXCLUDED.count
      RETURNING r.subject, r.count,
        (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms`;
    const counts = new Map<string, number>();
    for (const row of rows) counts.set(row.subject, Number(row.count));
    return { counts, storeNowMs: Number(rows[0]?.now_ms ?? Date.now()) };
  }

  purge(beforeEpochSeconds: number): Promise<number> {
    return this.prisma
      .$executeRaw`DELETE FROM rate_limit_windows WHERE window_start < to_timestamp(${beforeEpochSeconds}::float8)`;
  }

  /** The system's own per-window budget (null: the default; unknown systems too). */
  async systemBudget(systemId: string): Promise<number | null> {
    const row = await this.prisma.connectedSystem.findUnique({
      where: { id: systemId },
      select: { rateLimitPerWindow: true },
    });
    return row?.rateLimitPerWindow ?? null;
  }
}
