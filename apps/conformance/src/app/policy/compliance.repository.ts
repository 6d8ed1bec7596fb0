import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trellis/database';

import { Prisma, PRISMA, type PrismaClient } from '../prisma';
import { type ComplianceRow, type ComplianceStateName, type SeverityMeasure } from './decide';
import { severityOf, type CompliancePolicy, type Severity, SEVERITIES } from './policy';

type Tx = Prisma.TransactionClient;

export interface StoredCompliance extends ComplianceRow {
  productVersionId: string;
  rate: number | null;
  overrideReason: string | null;
  overrideBy: string | null;
  policyVersion: string;
  version: number;
  changedAt: Date;
}

export interface StoredChange {
  version: number;
  fromState: ComplianceStateName;
  toState: ComplianceStateName;
  cause: string;
  actor: string;
  reason: string | null;
  at: Date;
}

/**
 * The only place the policy context reads and writes its tables; its units of work commit the
 * compliance event with the state change.
 */
@Injectable()
export class ComplianceRepository extends TransactionalRepository<Tx, PrismaClient> {
  constructor(@Inject(PRISMA) db: PrismaClient | Tx) {
    super(db);
  }

  /** The sweep's lock: one evaluator at a time across replicas (false = another holds it). */
  async tryLock(): Promise<boolean> {
    const rows = await this.db.$queryRaw<Array<{ ok: boolean }>>`
      SELECT pg_try_advisory_xact_lock(hashtextextended('trellis.conformance.policy', 0)) AS ok`;
    return rows[0]?.ok === true;
  }

  /**
   * Per product version with traffic in the windows: judged requests (accepted + refused) and the
   * violations of each severity's rules, each over that severity's window ending `now`.
   */
  async measures(
    policy: CompliancePolicy,
    now: Date,
  ): Promise<Map<string, Partial<Record<Severity, SeverityMeasure>>>> {
    const out = new Map<string, Partial<Record<Severity, SeverityMeasure>>>();
    for (const s of SEVERITIES) {
      const t = policy.thresholds[s];
      if (!t) continue;
      const from = new Date(now.getTime() - t.windowMinutes * 60_000);
      const rows = await this.db.$queryRaw<
        Array<{ pv: string; metric: string; key: string; n: bigint }>
      >`
        SELECT product_version_id AS pv, metric, key, sum(count)::bigint AS n
          FROM traffic_counters
         WHERE bucket_start >= ${from} AND bucket_start <= ${now} AND product_version_id <> ''
           AND metric IN ('accepted', 'refused', 'violation')
         GROUP BY 1, 2, 3`;
      const rules = new Map<string, Map<string, number>>();
      for (const r of rows) {
        let m = out.get(r.pv);
        if (!m) out.set(r.pv, (m = {}));
        const sm = (m[s] ??= { requests: 0, breaking: 0, topRules: [] });
        const n = Number(r.n);
        if (r.metric === 'violation') {
          if (severityOf(policy, r.key) !== s) continue;
          sm.breaking += n;
          const byRule = rules.get(r.pv) ?? new Map<string, number>();
          byRule.set(r.key, (byRule.get(r.key) ?? 0) + n);
          rules.set(r.pv, byRule);
        } else sm.requests += n;
      }
      for (const [pv, byRule] of rules) {
        const sm = out.get(pv)?.[s];
        if (sm)
          sm.topRules = [...byRule.entries()]
            .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
            .slice(0, 3)
            .map(([rule]) => rule);
      }
    }
    return out;
  }

  async all(): Promise<Map<string, StoredCompliance>> {
    const rows = await this.db.productCompliance.findMany();
    return new Map(rows.map((r) => [r.productVersionId, toStored(r)]));
  }

  async get(productVersionId: string, lock = false): Promise<StoredCompliance | null> {
    if (lock)
      await this.db
        .$queryRaw`SELECT 1 FROM product_compliance WHERE product_version_id = ${productVersionId} FOR UPDATE`;
    const row = await this.db.productCompliance.findUnique({ where: { productVersionId } });
    return row ? toStored(row) : null;
  }

  /** The states of these product versions (those ever evaluated). */
  async some(productVersionIds: readonly string[]): Promise<StoredCompliance[]> {
    if (productVersionIds.length === 0) return [];
    const rows = await this.db.productCompliance.findMany({
      where: { productVersionId: { in: [...productVersionIds] } },
    });
    return rows.map(toStored);
  }

  /** A product version's change-log rows with version < `before`, newest first. */
  async changes(productVersionId: string, before: number, limit: number): Promise<StoredChange[]> {
    const rows = await this.db.complianceChange.findMany({
      where: { productVersionId, version: { lt: before } },
      orderBy: { version: 'desc' },
      take: limit,
    });
    return rows.map((r) => ({
      version: r.version,
      fromState: r.fromState as ComplianceStateName,
      toState: r.toState as ComplianceStateName,
      cause: r.cause,
      actor: r.actor,
      reason: r.reason,
      at: r.at,
    }));
  }

  /**
   * The change-log rows of several product versions, newest first in (at, key) order, strictly
   * before the cursor when one is given; key = "<product version>#<version, 10 digits>".
   */
  async changesOf(
    productVersionIds: readonly string[],
    cursor: { at: Date; key: string } | undefined,
    limit: number,
  ): Promise<Array<StoredChange & { productVersionId: string; key: string }>> {
    if (productVersionIds.length === 0) return [];
    const key = Prisma.sql`(product_version_id || '#' || lpad(version::text, 10, '0')) COLLATE "C"`;
    const at = Prisma.sql`date_trunc('milliseconds', at)`;
    const rows = await this.db.$queryRaw<
      Array<{
        pv: string;
        version: number;
        from_state: string;
        to_state: string;
        cause: string;
        actor: string;
        reason: string | null;
        at: Date;
        key: string;
      }>
    >`
      SELECT product_version_id AS pv, version, from_state, to_state, cause, actor, reason,
             ${at} AS at, ${key} AS key
        FROM compliance_changes
       WHERE product_version_id = ANY(${[...productVersionIds]}::text[])
         ${cursor ? Prisma.sql`AND (${at}, ${key}) < (${cursor.at}, ${cursor.key} COLLATE "C")` : Prisma.empty}
       ORDER BY 8 DESC, 9 DESC
       LIMIT ${limit}`;
    return rows.map((r) => ({
      productVersionId: r.pv,
      key: r.key,
      version: r.version,
      fromState: r.from_state as ComplianceStateName,
      toState: r.to_state as ComplianceStateName,
      cause: r.cause,
      actor: r.actor,
      reason: r.reason,
      at: r.at,
    }));
  }

  /** Writes the new state and its change-log row (the caller enqueues the event in the same tx). */
  async save(
    next: Omit<StoredCompliance, 'version'>,
    previous: StoredCompliance | null,
    change: { cause: string; actor: string; reason: string | null; finding: object },
  ): Promise<number> {
    const version = (previous?.version ?? 0) + 1;
    const data = {
      state: next.state,
      severity: next.severity,
      rate: next.rate,
      warnedAt: next.warnedAt,
      enforcedAt: next.enforcedAt,
      overrideUntil: next.overrideUntil,
      overrideReason: next.overrideReason,
      overrideBy: next.overrideBy,
      policyVersion: next.policyVersion,
      version,
      changedAt: next.changedAt,
    };
    await this.db.productCompliance.upsert({
      where: { productVersionId: next.productVersionId },
      create: { productVersionId: next.productVersionId, ...data },
      update: data,
    });
    await this.db.complianceChange.create({
      data: {
        id: randomUUID(),
        productVersionId: next.productVersionId,
        version,
        fromState: previous?.state ?? 'compliant',
        toState: next.state,
        cause: change.cause,
        actor: change.actor,
        reason: change.reason,
        finding: change.finding,
        at: next.changedAt,
      },
    });
    return version;
  }
}

function toStored(r: {
  productVersionId: string;
  state: string;
  severity: string | null;
  rate: number | null;
  warnedAt: Date | null;
  enforcedAt: Date | null;
  overrideUntil: Date | null;
  overrideReason: string | null;
  overrideBy: string | null;
  policyVersion: string;
  version: number;
  changedAt: Date;
}): StoredCompliance {
  return { ...r, state: r.state as ComplianceStateName };
}
