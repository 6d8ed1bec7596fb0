import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trellis/database';

import {
  type ConformanceCertificate,
  type Prisma,
  type PrismaClient,
  type RegionRequirement,
  type SystemLifecycleTransition,
} from '../../generated/prisma/client';
import {
  certificatesOf,
  roleOfVersion,
  type RoleCertificate,
} from '../certification/certificates.repository';
import { GatewayPrismaService } from '../database/gateway-prisma.service';
import { regionWhere, type SystemRow } from '../systems/systems.repository';

export type Tx = Prisma.TransactionClient;
export type TransitionRow = SystemLifecycleTransition;
export type RequirementsRow = RegionRequirement;

export type CertificateRow = ConformanceCertificate;

/** A system of a region as the regional reads show it. */
export interface SystemOfRegion {
  id: string;
  name: string;
  odsCode: string;
  region: string;
  lifecycle: string;
  status: string;
  productVersionId: string;
}

/** A system's lifecycle state with what the call gate judges it by. */
export interface StandingRow {
  lifecycle: string;
  odsCode: string;
  /** The product's role as stored (e.g. gp_system). */
  role: string;
}

export interface NewTransition {
  systemId: string;
  from: string;
  to: string;
  actor: string;
  region: string;
  reason: string;
  nationalOverride: boolean;
}

/** A region's requirements as declared (the version is counted here). */
export interface RequirementsChange {
  extraCertificateRoles: string[];
  maxViolationRate: number | null;
  reason: string;
  changedBy: string;
  changedAt: Date;
}

/**
 * The regions context's storage: the systems' lifecycle state and history and the regions' own
 * requirements; the owner of their transactions (the rules get this repository bound to one).
 */
@Injectable()
export class RegionsRepository extends TransactionalRepository<Tx, PrismaClient> {
  constructor(@Inject(GatewayPrismaService) db: PrismaClient | Tx) {
    super(db);
  }

  system(id: string): Promise<SystemRow | null> {
    return this.db.connectedSystem.findUnique({ where: { id } });
  }

  async standing(systemId: string): Promise<StandingRow | null> {
    const row = await this.db.connectedSystem.findUnique({
      where: { id: systemId },
      select: {
        lifecycle: true,
        odsCode: true,
        productVersion: { select: { product: { select: { role: true } } } },
      },
    });
    return row
      ? { lifecycle: row.lifecycle, odsCode: row.odsCode, role: row.productVersion.product.role }
      : null;
  }

  /** The role of a product version's product (platform spelling, e.g. gp-system). */
  productRole(productVersionId: string): Promise<string> {
    return roleOfVersion(this.db, productVersionId);
  }

  /** A product version's certificates for some roles, newest first. */
  certificates(productVersionId: string, roles: readonly string[]): Promise<RoleCertificate[]> {
    return certificatesOf(this.db, productVersionId, roles);
  }

  /**
   * The systems of the region's organisations, the newest registrations first (at most `take`):
   * selected in the database, not the newest few thousand filtered.
   */
  systemsOfRegion(region: string, take: number): Promise<SystemOfRegion[]> {
    return this.db.connectedSystem.findMany({
      where: regionWhere(region),
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      take,
      select: {
        id: true,
        name: true,
        odsCode: true,
        region: true,
        lifecycle: true,
        status: true,
        productVersionId: true,
      },
    });
  }

  /** The certificates of some product versions, newest first (at most `take`). */
  certificatesOfVersions(
    productVersionIds: readonly string[],
    take: number,
  ): Promise<CertificateRow[]> {
    return this.db.conformanceCertificate.findMany({
      where: { productVersionId: { in: [...productVersionIds] } },
      orderBy: [{ issuedAt: 'desc' }, { id: 'asc' }],
      take,
    });
  }

  /** A system's lifecycle history, oldest first (at most 500). */
  transitions(systemId: string): Promise<TransitionRow[]> {
    return this.db.systemLifecycleTransition.findMany({
      where: { systemId },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
      take: 500,
    });
  }

  /** Row-locks the system for a lifecycle move in this unit of work. */
  async lockSystem(id: string): Promise<void> {
    await this.db.$queryRaw`SELECT id FROM connected_systems WHERE id = ${id} FOR UPDATE`;
  }

  /** Moves the system iff it is still in `from` (false: another act moved it first). */
  async moveLifecycle(id: string, from: string, to: string): Promise<boolean> {
    const moved = await this.db.connectedSystem.updateMany({
      where: { id, lifecycle: from },
      data: { lifecycle: to },
    });
    return moved.count > 0;
  }

  insertTransition(t: NewTransition): Promise<TransitionRow> {
    return this.db.systemLifecycleTransition.create({
      data: {
        id: randomUUID(),
        systemId: t.systemId,
        fromState: t.from,
        toState: t.to,
        actor: t.actor,
        region: t.region,
        reason: t.reason,
        nationalOverride: t.nationalOverride,
      },
    });
  }

  requirements(region: string): Promise<RequirementsRow | null> {
    return this.db.regionRequirement.findUnique({ where: { region } });
  }

  /** Declares a region's requirements: the first declaration or the next version. */
  saveRequirements(region: string, change: RequirementsChange): Promise<RequirementsRow> {
    return this.db.regionRequirement.upsert({
      where: { region },
      create: { region, ...change },
      update: { ...change, version: { increment: 1 } },
    });
  }
}
