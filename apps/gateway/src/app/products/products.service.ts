import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { type Caller } from '@trellis/auth';

import { type ProductRole } from '../../generated/prisma/client';
import { listingCursor } from '../systems/listing-cursor';
import { SystemsError, SystemsErrorCode } from '../systems/systems.errors';
import { checkText, Violations } from '../systems/systems.validation';
import { ProductsRepository, type ProductRow, type ProductVersionRow } from './products.repository';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

/** Who performed an admin change (as the systems registry records it). */
function actorOf(caller: Pick<Caller, 'systemId' | 'userId'>): string {
  return caller.userId ? `${caller.systemId}/${caller.userId}` : caller.systemId;
}

export const PRODUCT_ID = /^[a-z0-9][a-z0-9-]{2,39}$/;
export const VERSION_LABEL = /^[0-9A-Za-z][0-9A-Za-z.+-]{0,39}$/;
export const PRODUCT_ROLES: readonly ProductRole[] = [
  'gp_system',
  'hospital_epr',
  'lab_lims',
  'other',
];

export interface RegisterProductInput {
  id: string;
  supplier: string;
  name: string;
  role: ProductRole | undefined;
}

/** Product registry rules: suppliers' products and the versions connected systems deploy. */
@Injectable()
export class ProductsService {
  constructor(private readonly repo: ProductsRepository) {}

  async registerProduct(input: RegisterProductInput, caller: Caller): Promise<ProductRow> {
    const v = new Violations();
    checkText(v, 'supplier', input.supplier);
    checkText(v, 'name', input.name);
    if (input.id && !PRODUCT_ID.test(input.id))
      v.add('id', 'lower-case letters, digits and -, 3-40 characters');
    if (!input.role) v.add('role', 'gp-system, hospital-epr, lab-lims or other is required');
    v.throwIfAny();
    const id = input.id || `prod-${randomUUID().slice(0, 18)}`;
    const row = await this.repo.insertProduct({
      id,
      supplier: input.supplier.trim(),
      name: input.name.trim(),
      role: input.role as ProductRole,
      actor: actorOf(caller),
    });
    if (row === 'exists')
      throw new SystemsError(SystemsErrorCode.AlreadyExists, `product ${id} already exists`);
    return row;
  }

  async registerVersion(
    productId: string,
    version: string,
    caller: Caller,
  ): Promise<ProductVersionRow> {
    const v = new Violations();
    if (!PRODUCT_ID.test(productId)) v.add('product_id', 'is not a product id');
    if (!VERSION_LABEL.test(version))
      v.add('version', 'letters, digits, ".", "+" and "-", 1-40 characters');
    v.throwIfAny();
    const row = await this.repo.insertVersion({ productId, version, actor: actorOf(caller) });
    if (row === 'no-product')
      throw new SystemsError(SystemsErrorCode.NotFound, `product ${productId} not found`);
    if (row === 'exists')
      throw new SystemsError(
        SystemsErrorCode.AlreadyExists,
        `product version ${productId}@${version} already exists`,
      );
    return row;
  }

  /** The version a connected system names; INVALID_ARGUMENT on `field` when it does not exist. */
  async requireVersion(id: string, field: string): Promise<ProductVersionRow> {
    const row = id ? await this.repo.findVersion(id) : null;
    if (!row)
      throw new SystemsError(SystemsErrorCode.InvalidArgument, 'invalid request', [
        {
          field,
          rule: 'product-version',
          message: id ? `no product version ${id.slice(0, 90)}` : 'is required',
        },
      ]);
    return row;
  }

  async list(
    pageSize: number,
    pageToken: string,
    role?: ProductRole,
  ): Promise<{ rows: ProductRow[]; next: string; total: number }> {
    if (pageSize < 0)
      throw new SystemsError(SystemsErrorCode.InvalidArgument, 'invalid page', [
        { field: 'page.page_size', rule: 'range', message: 'must be >= 0' },
      ]);
    const take = Math.min(pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const after = listingCursor.decode(pageToken, { listing: 'products', role });
    const rows = await this.repo.list({
      take: take + 1,
      ...(after ? { after } : {}),
      ...(role ? { role } : {}),
    });
    const page = rows.slice(0, take);
    const last = page[page.length - 1];
    const next =
      rows.length > take && last ? listingCursor.encode(last, { listing: 'products', role }) : '';
    return { rows: page, next, total: await this.repo.count(role) };
  }
}
