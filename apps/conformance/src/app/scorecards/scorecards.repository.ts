import { Inject, Injectable } from '@nestjs/common';

import { RETRY_BEFORE_RETRY_AFTER } from '../counting/counters';
import { Prisma, PRISMA, type PrismaClient } from '../prisma';

export type SubjectFilter = { kind: 'system' | 'product-version'; id: string };
export type Period = 'current' | 'previous';

export interface MetricSum {
  period: Period;
  metric: string;
  count: number;
}
export interface RuleSum {
  period: Period;
  rule: string;
  requests: number;
  issues: number;
  example: string | null;
}
export interface KeySum {
  period: Period;
  key: string;
  count: number;
}

interface Window {
  previousStart: Date;
  start: Date;
  end: Date;
}

/** The only place the scorecards read the counters (aggregates over minute buckets). */
@Injectable()
export class ScorecardsRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  private where(s: SubjectFilter, w: Window): Prisma.Sql {
    const subject =
      s.kind === 'system'
        ? Prisma.sql`system_id = ${s.id}`
        : Prisma.sql`product_version_id = ${s.id}`;
    return Prisma.sql`${subject} AND bucket_start >= ${w.previousStart} AND bucket_start < ${w.end}`;
  }

  private period(w: Window): Prisma.Sql {
    return Prisma.sql`CASE WHEN bucket_start >= ${w.start} THEN 'current' ELSE 'previous' END`;
  }

  async metrics(s: SubjectFilter, w: Window): Promise<MetricSum[]> {
    const rows = await this.prisma.$queryRaw<Array<{ period: Period; metric: string; n: bigint }>>`
      SELECT ${this.period(w)} AS period, metric, sum(count)::bigint AS n
        FROM traffic_counters
       WHERE ${this.where(s, w)} AND metric <> 'behaviour'
       GROUP BY 1, 2`;
    return rows.map((r) => ({ period: r.period, metric: r.metric, count: Number(r.n) }));
  }

  async rules(s: SubjectFilter, w: Window): Promise<RuleSum[]> {
    const rows = await this.prisma.$queryRaw<
      Array<{ period: Period; rule: string; n: bigint; issues: bigint; example: string | null }>
    >`
      SELECT ${this.period(w)} AS period, key AS rule, sum(count)::bigint AS n,
             sum(issues)::bigint AS issues,
             (array_agg(example ORDER BY last_event_at DESC, example COLLATE "C" DESC)
                FILTER (WHERE example IS NOT NULL))[1] AS example
        FROM traffic_counters
       WHERE ${this.where(s, w)} AND metric = 'violation'
       GROUP BY 1, 2`;
    return rows.map((r) => ({
      period: r.period,
      rule: r.rule,
      requests: Number(r.n),
      issues: Number(r.issues),
      example: r.example,
    }));
  }

  async statuses(s: SubjectFilter, w: Window): Promise<KeySum[]> {
    const rows = await this.prisma.$queryRaw<Array<{ period: Period; key: string; n: bigint }>>`
      SELECT ${this.period(w)} AS period, status AS key, sum(count)::bigint AS n
        FROM traffic_counters
       WHERE ${this.where(s, w)} AND metric IN ('refused', 'error')
       GROUP BY 1, 2`;
    return rows.map((r) => ({ period: r.period, key: r.key, count: Number(r.n) }));
  }

  /**
   * Behaviours, plus the derived retry-before-retry-after: the gateway's rate-limit windows are
   * the minute buckets (fixed 60 s windows on the epoch), and every rate-limited call of a system
   * after its first in a window came before the Retry-After it had been given.
   */
  async behaviours(s: SubjectFilter, w: Window): Promise<KeySum[]> {
    const rows = await this.prisma.$queryRaw<Array<{ period: Period; key: string; n: bigint }>>`
      SELECT ${this.period(w)} AS period, key, sum(count)::bigint AS n
        FROM traffic_counters
       WHERE ${this.where(s, w)} AND metric = 'behaviour'
       GROUP BY 1, 2
      UNION ALL
      SELECT period, ${RETRY_BEFORE_RETRY_AFTER}::text AS key, sum(GREATEST(n - 1, 0))::bigint AS n
        FROM (SELECT ${this.period(w)} AS period, system_id, bucket_start, sum(count) AS n
                FROM traffic_counters
               WHERE ${this.where(s, w)} AND metric = 'behaviour' AND key = 'rate-limited'
               GROUP BY 1, 2, 3) per_window
       GROUP BY 1`;
    return rows.map((r) => ({ period: r.period, key: r.key, count: Number(r.n) }));
  }

  async systems(s: SubjectFilter, w: Window): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<Array<{ system_id: string }>>`
      SELECT DISTINCT system_id FROM traffic_counters
       WHERE ${this.where(s, w)} AND bucket_start >= ${w.start}
       ORDER BY system_id`;
    return rows.map((r) => r.system_id);
  }

  /** Newest event time ever counted for the subject; null when it never sent traffic. */
  async countedUntil(s: SubjectFilter): Promise<Date | null> {
    const subject =
      s.kind === 'system'
        ? Prisma.sql`system_id = ${s.id}`
        : Prisma.sql`product_version_id = ${s.id}`;
    const rows = await this.prisma.$queryRaw<Array<{ at: Date | null }>>`
      SELECT max(last_event_at) AS at FROM traffic_counters WHERE ${subject}`;
    return rows[0]?.at ?? null;
  }

  /** The period's metric sums of each of `systemIds`, and the newest event counted in it. */
  async systemTotals(
    systemIds: readonly string[],
    start: Date,
    end: Date,
  ): Promise<Map<string, { metrics: MetricSum[]; countedUntil: Date }>> {
    const out = new Map<string, { metrics: MetricSum[]; countedUntil: Date }>();
    if (systemIds.length === 0) return out;
    const rows = await this.prisma.$queryRaw<
      Array<{ system_id: string; metric: string; n: bigint; at: Date }>
    >`
      SELECT system_id, metric, sum(count)::bigint AS n, max(last_event_at) AS at
        FROM traffic_counters
       WHERE system_id = ANY(${[...systemIds]}::text[])
         AND bucket_start >= ${start} AND bucket_start < ${end} AND metric <> 'behaviour'
       GROUP BY 1, 2`;
    for (const r of rows) {
      const held = out.get(r.system_id) ?? { metrics: [], countedUntil: r.at };
      held.metrics.push({ period: 'current', metric: r.metric, count: Number(r.n) });
      if (r.at > held.countedUntil) held.countedUntil = r.at;
      out.set(r.system_id, held);
    }
    return out;
  }
}
