import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { ORGANISATIONS } from '@trellis/service-kit';

import {
  Prisma,
  type ConnectedSystem,
  type PrismaClient,
  type ProductRole,
  type SystemStatus,
} from '../../generated/prisma/client';
import { GatewayPrismaService } from '../database/gateway-prisma.service';
import { afterKeyset, keysetOrder } from '@trellis/database';

export type Tx = Prisma.TransactionClient;

const KNOWN_CODES = ORGANISATIONS.map((o) => o.odsCode);

/**
 * A region's systems as enforcement judges them (regionOfSystem): those of the region's
 * organisations in the reference data, whatever region they were registered with, and those of
 * organisations it does not know that were registered for the region. A region's listing then
 * shows exactly the systems its authority may act on.
 */
export function regionWhere(region: string): Prisma.ConnectedSystemWhereInput {
  return {
    OR: [
      { odsCode: { in: ORGANISATIONS.filter((o) => o.region === region).map((o) => o.odsCode) } },
      { odsCode: { notIn: KNOWN_CODES }, region },
    ],
  };
}
export type SystemRow = ConnectedSystem;
/** A registry listing's row: with its product's role (the console offers the role's lifecycle). */
export type ListedSystem = SystemRow & { productVersion: { product: { role: ProductRole } } };

export interface NewSystem {
  id: string;
  name: string;
  supplier: string;
  odsCode: string;
  region: string;
  jwks: { keys: Record<string, unknown>[] } | null;
  jwksUrl: string | null;
  allowedScopes: string[];
  productVersionId: string;
  /** Inherited from the product version (compliance enforcement in force). */
  writesRestricted?: boolean;
  /** Initial lifecycle state (issue 18). */
  lifecycle: 'registered' | 'sandbox';
  /** Region whose authority the system answers to (its organisation's). */
  lifecycleRegion: string;
  nationalOverride: boolean;
  actor: string;
}

export interface SystemPatch {
  allowedScopes?: string[];
  status?: SystemStatus;
  suspensionReason?: string | null;
  jwks?: { keys: Record<string, unknown>[] } | null;
  jwksUrl?: string | null;
  productVersionId?: string;
  writesRestricted?: boolean;
}

/** The only place the systems context talks to Prisma. */
@Injectable()
export class SystemsRepository {
  constructor(@Inject(GatewayPrismaService) private readonly prisma: PrismaClient) {}

  /** `timeoutMs`: for the few acts that wait on another system inside (Prisma's default is 5 s). */
  transaction<T>(fn: (tx: Tx) => Promise<T>, timeoutMs?: number): Promise<T> {
    return timeoutMs
      ? this.prisma.$transaction(fn, { timeout: timeoutMs, maxWait: timeoutMs })
      : this.prisma.$transaction(fn);
  }

  find(id: string, tx: Tx | PrismaClient = this.prisma): Promise<SystemRow | null> {
    return tx.connectedSystem.findUnique({ where: { id } });
  }

  /** Row-locks the system for an update in `tx`. */
  async lock(tx: Tx, id: string): Promise<SystemRow | null> {
    const rows = await tx.$queryRaw<
      Array<{ id: string }>
    >`SELECT id FROM connected_systems WHERE id = ${id} FOR UPDATE`;
    return rows.length === 0 ? null : tx.connectedSystem.findUnique({ where: { id } });
  }

  /** Marks the version itself, so deployments registered later inherit the restriction. */
  async markProductVersion(tx: Tx, productVersionId: string, restricted: boolean): Promise<void> {
    await tx.productVersion.updateMany({
      where: { id: productVersionId },
      data: { writesRestricted: restricted },
    });
  }

  /** Row-locks every system deploying a product version (id order), for a change in `tx`. */
  async lockByProductVersion(tx: Tx, productVersionId: string): Promise<SystemRow[]> {
    await tx.$queryRaw`
      SELECT id FROM connected_systems WHERE product_version_id = ${productVersionId}
       ORDER BY id FOR UPDATE`;
    return tx.connectedSystem.findMany({ where: { productVersionId }, orderBy: { id: 'asc' } });
  }

  async insert(tx: Tx, s: NewSystem): Promise<SystemRow | 'exists'> {
    try {
      const row = await tx.connectedSystem.create({
        data: {
          id: s.id,
          name: s.name,
          supplier: s.supplier,
          odsCode: s.odsCode,
          region: s.region,
          jwks: s.jwks === null ? Prisma.DbNull : (s.jwks as Prisma.InputJsonValue),
          jwksUrl: s.jwksUrl,
          allowedScopes: s.allowedScopes,
          productVersionId: s.productVersionId,
          writesRestricted: s.writesRestricted ?? false,
          lifecycle: s.lifecycle,
          createdBy: s.actor,
          changedBy: s.actor,
        },
      });
      await this.logChange(tx, row, 'REGISTERED', s.actor, null, null);
      await tx.systemLifecycleTransition.create({
        data: {
          id: randomUUID(),
          systemId: row.id,
          fromState: null,
          toState: s.lifecycle,
          actor: s.actor,
          region: s.lifecycleRegion,
          reason: `registered into ${s.lifecycle}`,
          nationalOverride: s.nationalOverride,
          at: row.createdAt,
        },
      });
      return row;
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002')
        return 'exists';
      throw err;
    }
  }

  async update(
    tx: Tx,
    before: SystemRow,
    patch: SystemPatch,
    change: string,
    actor: string,
    reason: string | null,
  ): Promise<SystemRow> {
    const data: Prisma.ConnectedSystemUpdateInput = {
      version: { increment: 1 },
      changedBy: actor,
      changedAt: new Date(),
    };
    if (patch.allowedScopes) data.allowedScopes = patch.allowedScopes;
    if (patch.status) data.status = patch.status;
    if (patch.suspensionReason !== undefined) data.suspensionReason = patch.suspensionReason;
    if (patch.jwks !== undefined)
      data.jwks = patch.jwks === null ? Prisma.DbNull : (patch.jwks as Prisma.InputJsonValue);
    if (patch.jwksUrl !== undefined) data.jwksUrl = patch.jwksUrl;
    if (patch.writesRestricted !== undefined) data.writesRestricted = patch.writesRestricted;
    if (patch.productVersionId) data.productVersion = { connect: { id: patch.productVersionId } };
    const row = await tx.connectedSystem.update({ where: { id: before.id }, data });
    await this.logChange(tx, row, change, actor, before, reason);
    return row;
  }

  private async logChange(
    tx: Tx,
    after: SystemRow,
    change: string,
    actor: string,
    before: SystemRow | null,
    reason: string | null,
  ): Promise<void> {
    await tx.connectedSystemChange.create({
      data: {
        id: randomUUID(),
        systemId: after.id,
        version: after.version,
        change,
        actor,
        reason,
        before: before ? (snapshot(before) as Prisma.InputJsonValue) : Prisma.DbNull,
        after: snapshot(after) as Prisma.InputJsonValue,
      },
    });
  }

  /** Keyset pagination on (created_at, id). */
  list(args: {
    after?: { createdAt: Date; id: string };
    take: number;
    status?: SystemStatus;
    region?: string;
  }): Promise<ListedSystem[]> {
    const where: Prisma.ConnectedSystemWhereInput = {};
    if (args.status) where.status = args.status;
    if (args.region) where.AND = [regionWhere(args.region)];
    if (args.after)
      where.OR = afterKeyset('createdAt', { at: args.after.createdAt, id: args.after.id }).OR;
    return this.prisma.connectedSystem.findMany({
      where,
      orderBy: keysetOrder('createdAt'),
      take: args.take,
      include: { productVersion: { select: { product: { select: { role: true } } } } },
    });
  }

  /**
   * A region's systems holding any of these scopes (its authority clients, issue 18), oldest first;
   * keyset pagination on (created_at, id).
   */
  withAnyScope(
    region: string,
    scopes: string[],
    take: number,
    after?: { createdAt: Date; id: string },
  ): Promise<SystemRow[]> {
    return this.prisma.connectedSystem.findMany({
      where: {
        AND: [regionWhere(region)],
        allowedScopes: { hasSome: scopes },
        ...(after ? afterKeyset('createdAt', { at: after.createdAt, id: after.id }) : {}),
      },
      orderBy: keysetOrder('createdAt'),
      take,
    });
  }

  count(status?: SystemStatus, region?: string): Promise<number> {
    return this.prisma.connectedSystem.count({
      where: { ...(status ? { status } : {}), ...(region ? { AND: [regionWhere(region)] } : {}) },
    });
  }

  changes(systemId: string): Promise<Array<{ version: number; change: string; actor: string }>> {
    return this.prisma.connectedSystemChange.findMany({
      where: { systemId },
      orderBy: { version: 'asc' },
      select: { version: true, change: true, actor: true },
    });
  }
}

function snapshot(s: SystemRow): Record<string, unknown> {
  return {
    name: s.name,
    supplier: s.supplier,
    odsCode: s.odsCode,
    region: s.region,
    allowedScopes: s.allowedScopes,
    status: s.status,
    suspensionReason: s.suspensionReason,
    jwksUrl: s.jwksUrl,
    productVersionId: s.productVersionId,
    writesRestricted: s.writesRestricted,
    jwksKids: Array.isArray((s.jwks as { keys?: unknown } | null)?.keys)
      ? (s.jwks as { keys: Array<{ kid?: unknown }> }).keys.map((k) => k.kid)
      : [],
    version: s.version,
  };
}
