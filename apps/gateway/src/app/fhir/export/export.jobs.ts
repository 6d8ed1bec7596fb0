import { Injectable } from '@nestjs/common';

import type { BulkExportJob } from '../../../generated/prisma/client';
import { ExportJobsRepository, type ExportFileInfo } from './export-jobs.repository';

export { EXPORT_TYPES, type ExportType } from './export.sources';
export type { ExportFileInfo } from './export-jobs.repository';
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

const LEASE_MS = 60_000;

/** Prefix of the error of a job failed for its size (status: 4xx too-costly, not 500). */
export const TOO_COSTLY = 'too-costly';

/**
 * The export jobs' rules over their tables (ExportJobsRepository): kick-off, the worker's lease
 * and per-page progress, cancel and expiry. Every page's file and the cursor after it commit
 * together, so a restarted gateway resumes at the first page not yet written — no page twice,
 * none lost.
 */
@Injectable()
export class ExportJobs {
  constructor(private readonly repo: ExportJobsRepository) {}

  create(j: NewExportJob): Promise<BulkExportJob> {
    return this.repo.insert({
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
    });
  }

  /** The job of `owner` (undefined for another system's, an unknown or an expired job). */
  async ofOwner(id: string, owner: string): Promise<BulkExportJob | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const job = await this.repo.find(id);
    if (!job || job.ownerSystemId !== owner || job.expiresAt.getTime() <= Date.now())
      return undefined;
    return job;
  }

  files(jobId: string): Promise<ExportFileInfo[]> {
    return this.repo.files(jobId);
  }

  async file(jobId: string, seq: number): Promise<{ type: string; ndjson: string } | undefined> {
    return (await this.repo.file(jobId, seq)) ?? undefined;
  }

  /** Cancels (or deletes a finished) job: its files go with it. */
  cancel(id: string): Promise<void> {
    return this.repo.cancel(id, new Date());
  }

  /** Claims one queued job, or a running one whose worker's lease lapsed (a restart). */
  async claim(): Promise<BulkExportJob | undefined> {
    const now = new Date();
    const candidate = await this.repo.claimable(now);
    if (!candidate) return undefined;
    const won = await this.repo.lease(candidate.id, now, new Date(now.getTime() + LEASE_MS));
    return won ? { ...candidate, status: 'running' } : undefined;
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
    const outcome = await this.repo.inTransaction(async (repo) => {
      if ((await repo.lockStatus(job.id)) !== 'running') return 'cancelled' as const;
      if (added > 0 && (await repo.bytesOf(job.id)) + added > maxJobBytes)
        return 'too-large' as const;
      await repo.appendFiles(job.id, files);
      const now = new Date();
      await repo.advance(job.id, {
        cursor: page.cursor,
        resourcesAdded: files.reduce((n, f) => n + f.count, 0),
        leaseUntil: page.last ? null : new Date(now.getTime() + LEASE_MS),
        ...(page.last ? { completedAt: now } : {}),
      });
      return 'saved' as const;
    });
    if (outcome === 'too-large') {
      await this.repo.failRunning(
        job.id,
        `${TOO_COSTLY}: the export exceeds ${maxJobBytes} bytes (FHIR_EXPORT_MAX_JOB_BYTES); narrow it with _type or _since`,
        'all',
      );
    }
    return outcome;
  }

  /**
   * Bytes of every retained export file, and when the first job holding some expires (so a
   * refused kick-off can say when to retry).
   */
  async retained(): Promise<{ bytes: number; nextExpiry?: Date }> {
    const r = await this.repo.retained();
    return { bytes: r.bytes, ...(r.next ? { nextExpiry: r.next } : {}) };
  }

  /** Fails a running job; its files are deleted (a failed job serves none). */
  fail(id: string, error: string): Promise<void> {
    return this.repo.failRunning(id, error.slice(0, 500), 'while-running');
  }

  /** Deletes expired jobs (their files cascade); returns how many. */
  expire(): Promise<number> {
    return this.repo.deleteExpired(new Date());
  }
}
