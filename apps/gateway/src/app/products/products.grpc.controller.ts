import { requireCaller } from '@trellis/auth';
import { gateway } from '@trellis/contracts';
import { grpcController } from '@trellis/service-kit';

import { type ProductRole } from '../../generated/prisma/client';
import { toTimestamp } from '../systems/systems.events';
import { type ProductRow, type ProductVersionRow } from './products.repository';
import { ProductsService } from './products.service';

const { ProductRole: Role } = gateway.v1;

const TO_PROTO: Record<ProductRole, gateway.v1.ProductRole> = {
  gp_system: Role.PRODUCT_ROLE_GP_SYSTEM,
  hospital_epr: Role.PRODUCT_ROLE_HOSPITAL_EPR,
  lab_lims: Role.PRODUCT_ROLE_LAB_LIMS,
  other: Role.PRODUCT_ROLE_OTHER,
};

function roleOf(r: gateway.v1.ProductRole | undefined): ProductRole | undefined {
  return (Object.keys(TO_PROTO) as ProductRole[]).find((k) => TO_PROTO[k] === r);
}

function versionToProto(v: ProductVersionRow): gateway.v1.ProductVersion {
  return {
    id: v.id,
    productId: v.productId,
    version: v.version,
    createdBy: v.createdBy,
    createdAt: toTimestamp(v.createdAt),
  };
}

function productToProto(p: ProductRow): gateway.v1.Product {
  return {
    id: p.id,
    supplier: p.supplier,
    name: p.name,
    role: TO_PROTO[p.role],
    versions: p.versions.map(versionToProto),
    createdBy: p.createdBy,
    createdAt: toTimestamp(p.createdAt),
  };
}

export const ProductsGrpcController = grpcController(
  gateway.v1.ProductServiceDefinition,
  [ProductsService],
  (products: ProductsService) => ({
    registerProduct: async (req, metadata) => {
      const row = await products.registerProduct(
        {
          id: req.id ?? '',
          supplier: req.supplier ?? '',
          name: req.name ?? '',
          role: roleOf(req.role),
        },
        requireCaller(metadata),
      );
      return { product: productToProto(row) };
    },
    registerProductVersion: async (req, metadata) => {
      const row = await products.registerVersion(
        req.productId ?? '',
        req.version ?? '',
        requireCaller(metadata),
      );
      return { productVersion: versionToProto(row) };
    },
    listProducts: async (req) => {
      const { rows, next, total } = await products.list(
        req.page?.pageSize ?? 0,
        req.page?.pageToken ?? '',
        roleOf(req.role),
      );
      return { products: rows.map(productToProto), page: { nextPageToken: next, total } };
    },
  }),
);
