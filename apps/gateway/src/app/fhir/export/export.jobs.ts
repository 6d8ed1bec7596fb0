import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';

import { GatewayPrismaService } from '../../database/gateway-prisma.service';
import type { BulkExportJob } from '../../../generated/prisma/client';

/** Resource types the gateway can export (each needs a platform list call it can page). */
export const EXPORT_TYPES = ['Patient'] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];

export type ExportStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface NewExportJob {
  ownerSystemId: string;
  ownerUserId?: string;
  scopes: readonly string[];
  ownerOdsCode: string;
  ownerRegion: string;
  region?: string;
  types: readonly ExportType[];
  since?: Date;
  request: string;
  ttlMs: number;
}

/** A job's files without their content (the manifest). */
export interface ExportFileInfo {
  seq: number;
  type: string;
  count: number;
}

const LEASE_MS = 60_000;

/**
 * The export jobs' table (gateway schema): kick-off, the worker's lease and per-page progress,
 * cancel and expiry. Every page's file and the cursor after it commit together, so a restarted
 * gateway resumes at the first page not yet written — no page twice, none lost.
 */
@Injectable()
export class ExportJobs {
  constructor(@Inject(GatewayPrismaService) private readonly db: GatewayPrismaService) {}

  async create(j: NewExportJob): Promise<BulkExportJob> {
    return this.db.bulkExportJob.create({
      data: {
        id: randomUUID(),
        ownerSystemId: j.ownerSystemId,
        ownerUserId: j.ownerUserId ?? null,
        scopes: [...j.scopes],
        ownerOdsCode: j.ownerOdsCode,
        ownerRegion: j.ownerRegion,
        region: j.region ?? null,
        types: [...j.types],
        since: j.since ?? null,
        request: j.request,
        expiresAt: new Date(Date.now() + j.ttlMs),
      },
    });
  }

  /** The job of `owner` (undefined for another system's, an unknown or an expired job). */
  async ofOwner(id: string, owner: string): Promise<BulkExportJob | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const job = await this.db.bulkExportJob.findUnique({ where: { id } });
    if (!job || job.ownerSystemId !== owner || job.expiresAt.getTime() <= Date.now())
      return undefined;
    return job;
  }

  files(jobId: string): Promise<ExportFileInfo[]> {
    return this.db.bulkExportFile.findMany({
      where: { jobId },
      select: { seq: true, type: true, count: true },
      orderBy: { seq: 'asc' },
    });
  }

  async file(jobId: string, seq: number): Promise<{ type: string; ndjson: string } | undefined> {
    const f = await this.db.bulkExportFile.findUnique({
      where: { jobId_seq: { jobId, seq } },
      select: { type: true, ndjson: true },
    });
    return f ?? undefined;
  }

  /** Cancels (or deletes a finished) job: its files go with it. */
  async cancel(id: string): Promise<void> {
    await this.db.$transaction([
      this.db.bulkExportFile.deleteMany({ where: { jobId: id } }),
      this.db.bulkExportJob.update({
        where: { id },
        data: { status: 'cancelled', leaseUntil: null, expiresAt: new Date() },
      }),
    ]);
  }

  /** Claims one queued job, or a running one whose worker's lease lapsed (a restart). */
  async claim(): Promise<BulkExportJob | undefined> {
    const now = new Date();
    const candidate = await this.db.bulkExportJob.findFirst({
      where: {
        status: { in: ['queued', 'running'] },
        OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }],
      },
      orderBy: { transactionTime: 'asc' },
    });
    if (!candidate) return undefined;
    const won = await this.db.bulkExportJob.updateMany({
      where: {
        id: candidate.id,
        status: { in: ['queued', 'running'] },
        OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }],
      },
      data: { status: 'running', leaseUntil: new Date(now.getTime() + LEASE_MS) },
    });
    return won.count === 1 ? { ...candidate, status: 'running' } : undefined;
  }

  /**
   * Writes one page's file and the cursor after it in one transaction, renewing the lease; false
   * when the job was cancelled meanwhile (the page is dropped).
   */
  async savePage(
    job: BulkExportJob,
    page: { type: string; lines: string[]; cursor: string; last: boolean },
  ): Promise<boolean> {
    return this.db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<Array<{ status: string; resources_done: number }>>`
        SELECT status, resources_done FROM bulk_export_jobs WHERE id = ${job.id}::uuid FOR UPDATE`;
      if (rows[0]?.status !== 'running') return false;
      if (page.lines.length > 0) {
        const seq = await tx.bulkExportFile.count({ where: { jobId: job.id } });
        await tx.bulkExportFile.create({
          data: {
            jobId: job.id,
            seq: seq + 1,
            type: page.type,
            count: page.lines.length,
            ndjson: page.lines.join('\n') + '\n',
          },
        });
      }
      const now = new Date();
      await tx.bulkExportJob.update({
        where: { id: job.id },
        data: {
          cursor: page.cursor,
          resourcesDone: { increment: page.lines.length },
          leaseUntil: page.last ? null : new Date(now.getTime() + LEASE_MS),
          ...(page.last ? { status: 'completed', completedAt: now } : {}),
        },
      });
      return true;
    });
  }

  async fail(id: string, error: string): Promise<void> {
    await this.db.bulkExportJob.updateMany({
      where: { id, status: 'running' },
      data: { status: 'failed', error: error.slice(0, 500), leaseUntil: null },
    });
  }

  /** Deletes expired jobs (their files cascade); returns how many. */
  async expire(): Promise<number> {
    const r = await this.db.bulkExportJob.deleteMany({ where: { expiresAt: { lt: new Date() } } });
    return r.count;
  }
}
