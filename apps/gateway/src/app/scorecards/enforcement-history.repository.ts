import { Inject, Injectable } from '@nestjs/common';

import { Prisma, type PrismaClient } from '../../generated/prisma/client';
import { GatewayPrismaService } from '../database/gateway-prisma.service';

/** Position in a merged history: (at, key) descending; keys are unique across sources. */
export interface HistoryCursor {
  at: Date;
  key: string;
}

/** Source prefixes of the keys, so one instant's entries have one order across the sources. */
export const KEY_PREFIX = { compliance: 'a:', change: 'b:', lifecycle: 'c:' } as const;

/** Registry changes that are enforcement (suspension, compliance's write withdrawal). */
export const ENFORCEMENT_CHANGES = [
  'SUSPENDED',
  'REACTIVATED',
  'WRITES_RESTRICTED',
  'WRITES_RESTORED',
  'PRODUCT_VERSION_ASSIGNED',
] as const;

export interface SystemChangeEntry {
  key: string;
  at: Date;
  systemId: string;
  systemName: string;
  change: string;
  actor: string;
  reason: string | null;
}

export interface TransitionEntry {
  key: string;
  at: Date;
  systemId: string;
  systemName: string;
  from: string | null;
  to: string;
  actor: string;
  reason: string;
  nationalOverride: boolean;
}

const MS = Prisma.sql`date_trunc('milliseconds', x.at)`;

/** Entries strictly before the cursor in (at, key) order; no cursor: from the newest. */
const before = (key: Prisma.Sql, cursor: HistoryCursor | undefined): Prisma.Sql =>
  cursor
    ? Prisma.sql`AND (${MS}, ${key}) < (${cursor.at}, ${cursor.key} COLLATE "C")`
    : Prisma.empty;

/**
 * The gateway's own enforcement records of a region's systems (reads only): the registry's
 * change log (suspensions, reinstatements, compliance's write withdrawals) and the lifecycle
 * transitions, newest first, each strictly before a cursor.
 */
@Injectable()
export class EnforcementHistoryRepository {
  constructor(@Inject(GatewayPrismaService) private readonly prisma: PrismaClient) {}

  async systemChanges(
    region: string,
    cursor: HistoryCursor | undefined,
    limit: number,
  ): Promise<SystemChangeEntry[]> {
    const key = Prisma.sql`(${KEY_PREFIX.change} || x.id::text) COLLATE "C"`;
    const rows = await this.prisma.$queryRaw<
      Array<{
        key: string;
        at: Date;
        system_id: string;
        name: string;
        change: string;
        actor: string;
        reason: string | null;
      }>
    >`
      SELECT ${key} AS key, ${MS} AS at, x.system_id, s.name, x.change, x.actor, x.reason
        FROM connected_system_changes x JOIN connected_systems s ON s.id = x.system_id
       WHERE s.region = ${region} AND x.change = ANY(${[...ENFORCEMENT_CHANGES]}::text[])
         ${before(key, cursor)}
       ORDER BY 2 DESC, 1 DESC
       LIMIT ${limit}`;
    return rows.map((r) => ({
      key: r.key,
      at: r.at,
      systemId: r.system_id,
      systemName: r.name,
      change: r.change,
      actor: r.actor,
      reason: r.reason,
    }));
  }

  async transitions(
    region: string,
    cursor: HistoryCursor | undefined,
    limit: number,
  ): Promise<TransitionEntry[]> {
    const key = Prisma.sql`(${KEY_PREFIX.lifecycle} || x.id::text) COLLATE "C"`;
    const rows = await this.prisma.$queryRaw<
      Array<{
        key: string;
        at: Date;
        system_id: string;
        name: string;
        from_state: string | null;
        to_state: string;
        actor: string;
        reason: string;
        national_override: boolean;
      }>
    >`
      SELECT ${key} AS key, ${MS} AS at, x.system_id, s.name, x.from_state, x.to_state, x.actor,
             x.reason, x.national_override
        FROM system_lifecycle_transitions x JOIN connected_systems s ON s.id = x.system_id
       WHERE s.region = ${region}
         ${before(key, cursor)}
       ORDER BY 2 DESC, 1 DESC
       LIMIT ${limit}`;
    return rows.map((r) => ({
      key: r.key,
      at: r.at,
      systemId: r.system_id,
      systemName: r.name,
      from: r.from_state,
      to: r.to_state,
      actor: r.actor,
      reason: r.reason,
      nationalOverride: r.national_override,
    }));
  }
}
