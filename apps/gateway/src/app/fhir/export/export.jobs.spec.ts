import type { BulkExportJob } from '../../../generated/prisma/client';
import type { ExportJobsRepository, PageProgress } from './export-jobs.repository';
import { ExportJobs, TOO_COSTLY } from './export.jobs';

const JOB_ID = '6b1f4b8e-2d43-4a57-9a55-1d2a7f3c9e01';

const job = (over: Partial<BulkExportJob> = {}) =>
  ({
    id: JOB_ID,
    ownerSystemId: 'sys-1',
    status: 'running',
    expiresAt: new Date(Date.now() + 3_600_000),
    ...over,
  }) as BulkExportJob;

/** The rules over a repository held in memory: one job, its files' bytes, what was written. */
function createTestJobs(opts: { status?: string; bytes?: number; stored?: BulkExportJob } = {}) {
  const appended: Array<{ type: string; count: number; ndjson: string }> = [];
  const progress: PageProgress[] = [];
  const failed: Array<{ error: string; files: string }> = [];
  const repo = {
    // one unit of work: the same in-memory repository, no transaction client
    inTransaction: <R>(work: (r: ExportJobsRepository, tx: object) => Promise<R>) => work(repo, {}),
    find: (id: string) => Promise.resolve(id === JOB_ID ? (opts.stored ?? null) : null),
    lockStatus: () => Promise.resolve(opts.status ?? 'running'),
    bytesOf: () => Promise.resolve(opts.bytes ?? 0),
    appendFiles: (_id: string, files: typeof appended) => {
      appended.push(...files);
      return Promise.resolve();
    },
    advance: (_id: string, p: PageProgress) => {
      progress.push(p);
      return Promise.resolve();
    },
    failRunning: (_id: string, error: string, files: string) => {
      failed.push({ error, files });
      return Promise.resolve();
    },
    claimable: () => Promise.resolve(opts.stored),
    lease: () => Promise.resolve(false),
  } as unknown as ExportJobsRepository;
  return { jobs: new ExportJobs(repo), appended, progress, failed };
}

const page = (last: boolean, lines: string[][]) => ({
  files: lines.map((l, i) => ({ type: i === 0 ? 'Patient' : 'Appointment', lines: l })),
  cursor: 'after-9990000018',
  last,
});

describe('ExportJobs.savePage', () => {
  it('writes the non-empty files and the cursor, renewing the lease', async () => {
    const t = createTestJobs();
    expect(await t.jobs.savePage(job(), page(false, [['{"a":1}', '{"a":2}'], []]), 1_000)).toBe(
      'saved',
    );
    expect(t.appended).toEqual([{ type: 'Patient', count: 2, ndjson: '{"a":1}\n{"a":2}\n' }]);
    expect(t.progress).toEqual([
      { cursor: 'after-9990000018', resourcesAdded: 2, leaseUntil: expect.any(Date) },
    ]);
  });

  it('the last page completes the job and releases the lease', async () => {
    const t = createTestJobs();
    await t.jobs.savePage(job(), page(true, [['{}']]), 1_000);
    expect(t.progress[0]).toMatchObject({ leaseUntil: null, completedAt: expect.any(Date) });
  });

  it('drops the page of a job cancelled meanwhile', async () => {
    const t = createTestJobs({ status: 'cancelled' });
    expect(await t.jobs.savePage(job(), page(false, [['{}']]), 1_000)).toBe('cancelled');
    expect(t.appended).toEqual([]);
    expect(t.progress).toEqual([]);
  });

  it('fails a job that would exceed its byte budget as too-costly, deleting every file', async () => {
    const t = createTestJobs({ bytes: 998 });
    expect(await t.jobs.savePage(job(), page(false, [['xx']]), 1_000)).toBe('too-large');
    expect(t.appended).toEqual([]);
    expect(t.failed).toEqual([
      {
        error: expect.stringMatching(new RegExp(`^${TOO_COSTLY}: .*exceeds 1000 bytes`)),
        files: 'all',
      },
    ]);
  });
});

describe('ExportJobs ownership and lease', () => {
  it('answers a job to its owner only, and not once expired', async () => {
    const stored = job();
    const t = createTestJobs({ stored });
    expect(await t.jobs.ofOwner(JOB_ID, 'sys-1')).toBe(stored);
    expect(await t.jobs.ofOwner(JOB_ID, 'sys-2')).toBeUndefined();
    expect(await t.jobs.ofOwner('not-a-job-id', 'sys-1')).toBeUndefined();
    const expired = createTestJobs({ stored: job({ expiresAt: new Date(Date.now() - 1) }) });
    expect(await expired.jobs.ofOwner(JOB_ID, 'sys-1')).toBeUndefined();
  });

  it('a job whose lease another worker took first is not claimed', async () => {
    const t = createTestJobs({ stored: job({ status: 'queued' }) });
    expect(await t.jobs.claim()).toBeUndefined();
  });

  it('a failure message is cut to 500 characters and deletes the files only of a running job', async () => {
    const t = createTestJobs();
    await t.jobs.fail(JOB_ID, 'x'.repeat(600));
    expect(t.failed).toEqual([{ error: 'x'.repeat(500), files: 'while-running' }]);
  });
});
