import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';

import { GatewayPrismaService } from '../../database/gateway-prisma.service';
import type { BulkExportJob } from '../../../generated/prisma/client';

export { EXPORT_TYPES, type ExportType } from './export.sources';
import type { ExportType } from './export.sources';

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

/** Prefix of the error of a job failed for its size (status: 4xx too-costly, not 500). */
export const TOO_COSTLY = 'too-costly';

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
   * Writes one page's files (one per type, empty ones skipped) and the cursor after it in one
   * transaction, renewing the lease. 'cancelled' when the job was cancelled meanwhile (the page is
   * dropped); 'too-large' when the job's files would exceed `maxJobBytes`: the job then fails
   * (too-costly) and its files are deleted at once, freeing the space.
   */
  async savePage(
    job: BulkExportJob,
    page: {
      files: ReadonlyArray<{ type: string; lines: readonly string[] }>;
      cursor: string;
      last: boolean;
    },
    maxJobBytes: number,
  ): Promise<'saved' | 'cancelled' | 'too-large'> {
    const files = page.files
      .filter((f) => f.lines.length > 0)
      .map((f) => ({ type: f.type, count: f.lines.length, ndjson: f.lines.join('\n') + '\n' }));
    const added = files.reduce((n, f) => n + Buffer.byteLength(f.ndjson), 0);
    const outcome = await this.db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<Array<{ status: string }>>`
        SELECT status FROM bulk_export_jobs WHERE id = ${job.id}::uuid FOR UPDATE`;
      if (rows[0]?.status !== 'running') return 'cancelled' as const;
      if (added > 0) {
        const [used] = await tx.$queryRaw<Array<{ bytes: bigint }>>`
          SELECT COALESCE(SUM(octet_length(ndjson)), 0)::bigint AS bytes
          FROM bulk_export_files WHERE job_id = ${job.id}::uuid`;
        if (Number(used?.bytes ?? 0) + added > maxJobBytes) return 'too-large' as const;
      }
      let seq = files.length > 0 ? await tx.bulkExportFile.count({ where: { jobId: job.id } }) : 0;
      for (const f of files) {
        seq += 1;
        await tx.bulkExportFile.create({ data: { jobId: job.id, seq, ...f } });
      }
      const now = new Date();
      await tx.bulkExportJob.update({
        where: { id: job.id },
        data: {
          cursor: page.cursor,
          resourcesDone: { increment: files.reduce((n, f) => n + f.count, 0) },
          leaseUntil: page.last ? null : new Date(now.getTime() + LEASE_MS),
          ...(page.last ? { status: 'completed', completedAt: now } : {}),
        },
      });
      return 'saved' as const;
    });
    if (outcome === 'too-large') {
      await this.db.$transaction([
        this.db.bulkExportFile.deleteMany({ where: { jobId: job.id } }),
        this.db.bulkExportJob.updateMany({
          where: { id: job.id, status: 'running' },
          data: {
            status: 'failed',
            error: `${TOO_COSTLY}: the export exceeds ${maxJobBytes} bytes (FHIR_EXPORT_MAX_JOB_BYTES); narrow it with _type or _since`,
            leaseUntil: null,
          },
        }),
      ]);
    }
    return outcome;
  }

  /**
   * Bytes of every retained export file, and when the first job holding some expires (so a
   * refused kick-off can say when to retry).
   */
  async retained(): Promise<{ bytes: number; nextExpiry?: Date }> {
    const [r] = await this.db.$queryRaw<Array<{ bytes: bigint; next: Date | null }>>`
      SELECT COALESCE(SUM(octet_length(f.ndjson)), 0)::bigint AS bytes, MIN(j.expires_at) AS next
      FROM bulk_export_files f JOIN bulk_export_jobs j ON j.id = f.job_id`;
    return {
      bytes: Number(r?.bytes ?? 0),
      ...(r?.next ? { nextExpiry: r.next } : {}),
    };
  }

  /** Fails a running job; its files are deleted (a failed job serves none). */
  async fail(id: string, error: string): Promise<void> {
    await this.db.$transaction([
      this.db.bulkExportFile.deleteMany({ where: { jobId: id, job: { status: 'running' } } }),
      this.db.bulkExportJob.updateMany({
        where: { id, status: 'running' },
        data: { status: 'failed', error: error.slice(0, 500), leaseUntil: null },
      }),
    ]);
  }

  /** Deletes expired jobs (their files cascade); returns how many. */
  async expire(): Promise<number> {
    const r = await this.db.bulkExportJob.deleteMany({ where: { expiresAt: { lt: new Date() } } });
    return r.count;
  }
}
