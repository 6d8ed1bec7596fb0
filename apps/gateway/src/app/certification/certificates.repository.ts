import { Inject, Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trellis/database';

import { type Prisma, type PrismaClient } from '../../generated/prisma/client';
import { GatewayPrismaService } from '../database/gateway-prisma.service';
import { type CertificateFacts, type CertificateFactsSource } from './certificate-gate';

type Tx = Prisma.TransactionClient;
type Db = PrismaClient | Tx;

/** A certificate's facts with the role it certifies. */
export type RoleCertificate = CertificateFacts & { role: string };

/** A certificate as issued (active, no status change yet). */
export type NewCertificate = Omit<
  Prisma.ConformanceCertificateUncheckedCreateInput,
  'statusChangedAt' | 'statusReason'
>;

/** The role of a product version's product (platform spelling, e.g. gp-system). */
export async function roleOfVersion(db: Db, productVersionId: string): Promise<string> {
  const version = await db.productVersion.findUnique({
    where: { id: productVersionId },
    include: { product: true },
  });
  return (version?.product.role ?? 'other').replace(/_/g, '-');
}

/** A product version's certificates for some roles, newest first. */
export function certificatesOf(
  db: Db,
  productVersionId: string,
  roles: readonly string[],
): Promise<RoleCertificate[]> {
  return db.conformanceCertificate.findMany({
    where: { productVersionId, role: { in: [...roles] } },
    orderBy: [{ issuedAt: 'desc' }, { id: 'asc' }],
    take: 50,
    select: { id: true, status: true, rulesVersion: true, expiresAt: true, role: true },
  });
}

/**
 * The facts the certificate gate judges by (a product version's role and certificates) and the
 * compliance enforcement's act on them. Another repository reads them on its own client or
 * transaction through `roleOfVersion` / `certificatesOf` (one query text for both).
 */
@Injectable()
export class CertificatesRepository
  extends TransactionalRepository<Tx, PrismaClient>
  implements CertificateFactsSource
{
  constructor(@Inject(GatewayPrismaService) db: Db) {
    super(db);
  }

  productRole(productVersionId: string): Promise<string> {
    return roleOfVersion(this.db, productVersionId);
  }

  certificates(productVersionId: string, roles: readonly string[]): Promise<RoleCertificate[]> {
    return certificatesOf(this.db, productVersionId, roles);
  }

  /** Records an issued certificate (the demo seed's and the test harnesses' stand-in session). */
  async insert(row: NewCertificate): Promise<void> {
    await this.db.conformanceCertificate.create({ data: row });
  }

  /**
   * Compliance enforcement acts on the certificate too (in the enforcement's transaction: bind the
   * repository to it with `joining(tx)`): enforcement suspends the product version's active
   * certificates, recovery or an operator override reinstates the suspended ones.
   */
  async setSuspended(
    productVersionId: string,
    suspended: boolean,
    reason: string,
    at: Date = new Date(),
  ): Promise<number> {
    const r = await this.db.conformanceCertificate.updateMany({
      where: { productVersionId, status: suspended ? 'active' : 'suspended' },
      data: {
        status: suspended ? 'suspended' : 'active',
        statusReason: reason.slice(0, 500),
        statusChangedAt: at,
      },
    });
    return r.count;
  }
}
