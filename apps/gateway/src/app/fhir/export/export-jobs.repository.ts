import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trellis/database';

import type { BulkExportJob, Prisma, PrismaClient } from '../../../generated/prisma/client';
import { GatewayPrismaService } from '../../database/gateway-prisma.service';

export type Tx = Prisma.TransactionClient;

/** A job as kick-off records it (queued). */
export interface JobDraft {
  ownerSystemId: string;
  ownerUserId: string | null;
  scopes: string[];
  ownerOdsCode: string;
  ownerRegion: string;
  region: string | null;
  types: string[];
  since: Date | null;
  request: string;
  expiresAt: Date;
}

/** A job's files without their content (the manifest). */
export interface ExportFileInfo {
  seq: number;
  type: string;
  count: number;
}

/** One page's progress: the cursor after it and the lease (null: the job is done). */
export interface PageProgress {
  cursor: string;
  resourcesAdded: number;
  leaseUntil: Date | null;
  completedAt?: Date;
}

const CLAIMABLE = ['queued', 'running'];

/**
 * The export jobs' tables (bulk_export_jobs, bulk_export_files in the gateway schema) and the
 * owner of their transactions: ExportJobs holds the rules (ownership, expiry, lease, size).
 */
@Injectable()
export class ExportJobsRepository extends TransactionalRepository<Tx, PrismaClient> {
  constructor(@Inject(GatewayPrismaService) db: PrismaClient | Tx) {
    super(db);
  }

  insert(draft: JobDraft): Promise<BulkExportJob> {
    return this.db.bulkExportJob.create({ data: { id: randomUUID(), ...draft } });
  }

  find(id: string): Promise<BulkExportJob | null> {
    return this.db.bulkExportJob.findUnique({ where: { id } });
  }

  files(jobId: string): Promise<ExportFileInfo[]> {
    return this.db.bulkExportFile.findMany({
      where: { jobId },
      select: { seq: true, type: true, count: true },
      orderBy: { seq: 'asc' },
    });
  }

  file(jobId: string, seq: number): Promise<{ type: string; ndjson: string } | null> {
    return this.db.bulkExportFile.findUnique({
      where: { jobId_seq: { jobId, seq } },
      select: { type: true, ndjson: true },
    });
  }

  /** Marks the job cancelled (expired at `at`) and deletes its files, in one transaction. */
  async cancel(id: string, at: Date): Promise<void> {
    await this.inTransaction(async (repo) => {
      await repo.db.bulkExportFile.deleteMany({ where: { jobId: id } });
      await repo.db.bulkExportJob.update({
        where: { id },
        data: { status: 'cancelled', leaseUntil: null, expiresAt: at },
      });
    });
  }

  /** The oldest queued job, or running one whose lease lapsed before `now`. */
  async claimable(now: Date): Promise<BulkExportJob | undefined> {
    const job = await this.db.bulkExportJob.findFirst({
      where: {
        status: { in: CLAIMABLE },
        OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }],
      },
      orderBy: { transactionTime: 'asc' },
    });
    return job ?? undefined;
  }

  /** Takes the lease of a job still claimable at `now` (false: another worker took it first). */
  async lease(id: string, now: Date, until: Date): Promise<boolean> {
    const won = await this.db.bulkExportJob.updateMany({
      where: {
        id,
        status: { in: CLAIMABLE },
        OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }],
      },
      data: { status: 'running', leaseUntil: until },
    });
    return won.count === 1;
  }

  /** Locks the job row for a page write and returns its status (undefined: no such job). */
  async lockStatus(id: string): Promise<string | undefined> {
    const rows = await this.db.$queryRaw<Array<{ status: string }>>`
      SELECT status FROM bulk_export_jobs WHERE id = ${id}::uuid FOR UPDATE`;
    return rows[0]?.status;
  }

  /** Bytes of the job's files so far. */
  async bytesOf(id: string): Promise<number> {
    const [used] = await this.db.$queryRaw<Array<{ bytes: bigint }>>`
      SELECT COALESCE(SUM(octet_length(ndjson)), 0)::bigint AS bytes
      FROM bulk_export_files WHERE job_id = ${id}::uuid`;
    return Number(used?.bytes ?? 0);
  }

  /** Appends files after the job's last one, numbered on. */
  async appendFiles(
    jobId: string,
    files: ReadonlyArray<{ type: string; count: number; ndjson: string }>,
  ): Promise<void> {
    let seq = files.length > 0 ? await this.db.bulkExportFile.count({ where: { jobId } }) : 0;
    for (const f of files) {
      seq += 1;
      await this.db.bulkExportFile.create({ data: { jobId, seq, ...f } });
    }
  }

  async advance(id: string, p: PageProgress): Promise<void> {
    await this.db.bulkExportJob.update({
      where: { id },
      data: {
        cursor: p.cursor,
        resourcesDone: { increment: p.resourcesAdded },
        leaseUntil: p.leaseUntil,
        ...(p.completedAt ? { status: 'completed', completedAt: p.completedAt } : {}),
      },
    });
  }

  /**
   * Fails a running job and deletes its files, in one transaction: `files` 'all' deletes every
   * file of the job, 'while-running' only if the job is still running.
   */
  async failRunning(id: string, error: string, files: 'all' | 'while-running'): Promise<void> {
    await this.inTransaction(async (repo) => {
      await repo.db.bulkExportFile.deleteMany({
        where: files === 'all' ? { jobId: id } : { jobId: id, job: { status: 'running' } },
      });
      await repo.db.bulkExportJob.updateMany({
        where: { id, status: 'running' },
        data: { status: 'failed', error, leaseUntil: null },
      });
    });
  }

  /** Bytes of every retained export file, and the first expiry of a job holding some. */
  async retained(): Promise<{ bytes: number; next: Date | null }> {
    const [r] = await this.db.$queryRaw<Array<{ bytes: bigint; next: Date | null }>>`
      SELECT COALESCE(SUM(octet_length(f.ndjson)), 0)::bigint AS bytes, MIN(j.expires_at) AS next
      FROM bulk_export_files f JOIN bulk_export_jobs j ON j.id = f.job_id`;
    return { bytes: Number(r?.bytes ?? 0), next: r?.next ?? null };
  }

  /** Deletes the jobs expired before `now` (their files cascade); returns how many. */
  async deleteExpired(now: Date): Promise<number> {
    const r = await this.db.bulkExportJob.deleteMany({ where: { expiresAt: { lt: now } } });
    return r.count;
  }
}
