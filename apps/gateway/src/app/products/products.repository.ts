import { Inject, Injectable } from '@nestjs/common';

import {
  Prisma,
  type Product,
  type ProductRole,
  type ProductVersion,
  type PrismaClient,
} from '../../generated/prisma/client';
import { GatewayPrismaService } from '../database/gateway-prisma.service';
import { afterKeyset, keysetOrder } from '@trellis/database';

export type ProductRow = Product & { versions: ProductVersion[] };
export type ProductVersionRow = ProductVersion;

/** Version every system registered before the product registry deploys (created by the migration). */
export const LEGACY_PRODUCT_VERSION_ID = 'unclassified@legacy';

/** The only place the products context talks to Prisma. */
@Injectable()
export class ProductsRepository {
  constructor(@Inject(GatewayPrismaService) private readonly prisma: PrismaClient) {}

  async insertProduct(p: {
    id: string;
    supplier: string;
    name: string;
    role: ProductRole;
    actor: string;
  }): Promise<ProductRow | 'exists'> {
    try {
      return await this.prisma.product.create({
        data: { id: p.id, supplier: p.supplier, name: p.name, role: p.role, createdBy: p.actor },
        include: { versions: true },
      });
    } catch (err) {
      if (isUniqueViolation(err)) return 'exists';
      throw err;
    }
  }

  async insertVersion(v: {
    productId: string;
    version: string;
    actor: string;
  }): Promise<ProductVersionRow | 'exists' | 'no-product'> {
    try {
      return await this.prisma.productVersion.create({
        data: {
          id: `${v.productId}@${v.version}`,
          productId: v.productId,
          version: v.version,
          createdBy: v.actor,
        },
      });
    } catch (err) {
      if (isUniqueViolation(err)) return 'exists';
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2003')
        return 'no-product';
      throw err;
    }
  }

  findVersion(id: string): Promise<ProductVersionRow | null> {
    return this.prisma.productVersion.findUnique({ where: { id } });
  }

  /** Keyset pagination on (created_at, id), versions in creation order. */
  list(args: {
    after?: { createdAt: Date; id: string };
    take: number;
    role?: ProductRole;
  }): Promise<ProductRow[]> {
    const where: Prisma.ProductWhereInput = {};
    if (args.role) where.role = args.role;
    if (args.after)
      where.OR = afterKeyset('createdAt', { at: args.after.createdAt, id: args.after.id }).OR;
    return this.prisma.product.findMany({
      where,
      orderBy: keysetOrder('createdAt'),
      take: args.take,
      include: { versions: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] } },
    });
  }

  count(role?: ProductRole): Promise<number> {
    return this.prisma.product.count({ where: role ? { role } : {} });
  }
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}
