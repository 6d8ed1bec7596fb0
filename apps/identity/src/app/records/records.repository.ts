import { PrismaRepository } from '@trellis/database';

import {
  Prisma,
  type DocumentPointer,
  type DocumentPointerVersion,
  type PrismaClient,
} from '../../generated/prisma/client';
import { TX } from '../patients/patients.repository';
import type { PointerDraft } from './records.validation';

export type StoredPointer = DocumentPointer;
export type StoredPointerVersion = DocumentPointerVersion;
export type PointerStatusName = 'current' | 'superseded' | 'deleted';
export const POINTER_STATUSES: readonly PointerStatusName[] = ['current', 'superseded', 'deleted'];

/** What the record locator needs of a patient record. */
export interface PatientFacts {
  nhsNumber: string;
  confidentiality: 'normal' | 'restricted';
  mergedInto?: string;
}

/** Keyset position of a search page: newest first. */
export interface SearchCursor {
  createdAt: Date;
  id: string;
}

/** What registering a pointer writes: its version 1, under the custodian's idempotency key. */
export interface NewPointer {
  id: string;
  draft: PointerDraft;
  custodian: string;
  clientKey: string | undefined;
  requestHash: string;
  replacesId?: string;
  systemId: string;
  now: Date;
}

/** The record locator's storage (table document_pointer in identity's schema). */
export class PointerRepository extends PrismaRepository<PrismaClient> {
  protected override readonly transactionOptions = TX;
  async patient(nhsNumber: string): Promise<PatientFacts | undefined> {
    const rows = await this.db.$queryRaw<
      Array<{ nhs_number: string; confidentiality: string; merged_into: string | null }>
    >(Prisma.sql`SELECT nhs_number, confidentiality::text AS confidentiality, merged_into
                 FROM patient WHERE nhs_number = ${nhsNumber}`);
    const r = rows[0];
    if (!r) return undefined;
    return {
      nhsNumber: r.nhs_number,
      confidentiality: r.confidentiality === 'restricted' ? 'restricted' : 'normal',
      ...(r.merged_into ? { mergedInto: r.merged_into } : {}),
    };
  }

  /** The numbers merged into a survivor (merges never chain: they all point at the survivor). */
  async mergedNumbers(survivor: string): Promise<string[]> {
    const rows = await this.db.$queryRaw<Array<{ nhs_number: string }>>(
      Prisma.sql`SELECT nhs_number FROM patient WHERE merged_into = ${survivor} ORDER BY nhs_number`,
    );
    return rows.map((r) => r.nhs_number);
  }

  byId(id: string): Promise<StoredPointer | null> {
    return this.db.documentPointer.findUnique({ where: { id } });
  }

  /** Locks the pointer row for a change (two supersedes of one pointer: one wins). */
  async lockById(id: string): Promise<StoredPointer | null> {
    await this.db.$queryRaw(
      Prisma.sql`SELECT id FROM document_pointer WHERE id = ${id}::uuid FOR UPDATE`,
    );
    return this.db.documentPointer.findUnique({ where: { id } });
  }

  /** The pointer an idempotent request registered earlier (same custodian), if any. */
  findReplay(
    custodian: string,
    clientKey: string | undefined,
    draft: PointerDraft,
  ): Promise<StoredPointer | null> {
    const or: Prisma.DocumentPointerWhereInput[] = [];
    if (clientKey) or.push({ clientKey });
    if (draft.masterIdentifierSystem && draft.masterIdentifierValue)
      or.push({
        masterIdentifierSystem: draft.masterIdentifierSystem,
        masterIdentifierValue: draft.masterIdentifierValue,
      });
    if (or.length === 0) return Promise.resolve(null);
    return this.db.documentPointer.findFirst({
      where: { custodianOds: custodian, OR: or },
      orderBy: { createdAt: 'asc' },
    });
  }

  /** Registers a pointer with its version 1 (in the caller's transaction). */
  async insert(row: NewPointer): Promise<StoredPointer> {
    const d = row.draft;
    const created = await this.db.documentPointer.create({
      data: {
        id: row.id,
        status: 'current',
        nhsNumber: d.nhsNumber,
        typeCode: d.typeCode,
        custodianOds: row.custodian,
        authorOds: d.authorOds ?? null,
        url: d.url,
        contentType: d.contentType,
        size: d.size !== undefined ? BigInt(d.size) : null,
        hash: d.hash ?? null,
        title: d.title ?? null,
        creation: d.creation ?? null,
        masterIdentifierSystem: d.masterIdentifierSystem ?? null,
        masterIdentifierValue: d.masterIdentifierValue ?? null,
        clientKey: row.clientKey ?? null,
        requestHash: row.requestHash,
        replacesId: row.replacesId ?? null,
        createdBySystem: row.systemId,
        createdAt: row.now,
        updatedAt: row.now,
      },
    });
    await this.recordVersion(created, 'created', row.systemId);
    return created;
  }

  /** A status change as the pointer's next version (in the caller's transaction). */
  async setStatus(
    current: StoredPointer,
    status: Exclude<PointerStatusName, 'current'>,
    now: Date,
    systemId: string,
    supersededById?: string,
  ): Promise<StoredPointer> {
    const changed = await this.db.documentPointer.update({
      where: { id: current.id },
      data: {
        status,
        version: current.version + 1,
        updatedAt: now,
        ...(supersededById ? { supersededById } : {}),
      },
    });
    await this.recordVersion(changed, status, systemId);
    return changed;
  }

  private async recordVersion(
    p: StoredPointer,
    change: 'created' | 'superseded' | 'deleted',
    systemId: string,
  ): Promise<void> {
    await this.db.documentPointerVersion.create({
      data: {
        pointerId: p.id,
        version: p.version,
        status: p.status,
        change,
        supersededById: p.supersededById,
        systemId,
        recordedAt: p.updatedAt,
      },
    });
  }

  version(id: string, version: number): Promise<StoredPointerVersion | null> {
    return this.db.documentPointerVersion.findUnique({
      where: { pointerId_version: { pointerId: id, version } },
    });
  }

  /** A pointer's versions, newest first, below `before`; one more than `take`. */
  versions(id: string, before: number | undefined, take: number): Promise<StoredPointerVersion[]> {
    return this.db.documentPointerVersion.findMany({
      where: { pointerId: id, ...(before !== undefined ? { version: { lt: before } } : {}) },
      orderBy: { version: 'desc' },
      take: take + 1,
    });
  }

  /** Pointers of these numbers, newest first, after the cursor; one more than `take`. */
  search(q: {
    nhsNumbers: string[];
    typeCodes: string[];
    statuses: readonly PointerStatusName[];
    custodian?: string;
    from?: Date;
    before?: Date;
    after?: SearchCursor;
    take: number;
  }): Promise<StoredPointer[]> {
    const created =
      q.from || q.before
        ? {
            createdAt: {
              ...(q.from ? { gte: q.from } : {}),
              ...(q.before ? { lt: q.before } : {}),
            },
          }
        : {};
    return this.db.documentPointer.findMany({
      where: {
        nhsNumber: { in: q.nhsNumbers },
        status: { in: [...q.statuses] },
        ...(q.typeCodes.length ? { typeCode: { in: q.typeCodes } } : {}),
        ...(q.custodian !== undefined ? { custodianOds: q.custodian } : {}),
        ...created,
        ...(q.after
          ? {
              OR: [
                { createdAt: { lt: q.after.createdAt } },
                { createdAt: q.after.createdAt, id: { lt: q.after.id } },
              ],
            }
          : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: q.take + 1,
    });
  }
}

/** A unique-constraint violation (a concurrent request with the same idempotency key won). */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}
