import type { PatientDirectory } from '@trellis/identity-client';

import type { ReportSubmission } from '../domain/report-content';
import type { Actor, Clock } from '../domain/ports';
import type { PrismaClient } from '../prisma';
import { ReportAcknowledgement } from './report-acknowledgement';
import { type BatchOutcome, ReportIngest } from './report-ingest';
import { ReportQueries, type SearchInput } from './report-queries';
import { type CallContext, ReportSupport } from './report-support';
import type { ReportView, ResultEventSink } from './report-types';
import { type AmendStatus, ReportVersioning } from './report-versioning';
import type { ReportsRepository } from './reports.repository';

export { type BatchOutcome, MAX_BATCH } from './report-ingest';
export type { SearchInput } from './report-queries';
export type { CallContext } from './report-support';
export { AMEND_STATUSES, type AmendStatus } from './report-versioning';

/**
 * Results rules: idempotent submission on the lab's identifier, versioned amendment, visibility
 * (performing lab and requester only), acknowledgement and the safety net. Every state change and
 * its event are written in one transaction. Each responsibility lives in its own class
 * (ingest, versioning, acknowledgement, queries); this is the one entry point over them.
 */
export class ReportsService {
  private readonly ingest: ReportIngest;
  private readonly versioning: ReportVersioning;
  private readonly queries: ReportQueries;
  private readonly acknowledgements: ReportAcknowledgement;

  constructor(
    prisma: PrismaClient,
    repo: ReportsRepository,
    patients: PatientDirectory,
    events: ResultEventSink,
    clock: Clock,
    /** Uncached: answers the patient's registered GP practice (a cached answer does not). */
    registrations: PatientDirectory = patients,
  ) {
    const support = new ReportSupport(prisma, repo, patients, events, clock, registrations);
    this.versioning = new ReportVersioning(support);
    this.ingest = new ReportIngest(support, this.versioning);
    this.queries = new ReportQueries(support);
    this.acknowledgements = new ReportAcknowledgement(support);
  }

  /** See ReportIngest.submit. */
  submit(
    actor: Actor,
    input: ReportSubmission,
    ctx: CallContext = {},
    expectedVersion = 0,
  ): Promise<{ report: ReportView; replayed: boolean }> {
    return this.ingest.submit(actor, input, ctx, expectedVersion);
  }

  /** See ReportIngest.submitMany. */
  submitMany(
    actor: Actor,
    inputs: readonly ReportSubmission[],
    ctx: CallContext = {},
  ): Promise<BatchOutcome[]> {
    return this.ingest.submitMany(actor, inputs, ctx);
  }

  /** See ReportVersioning.amend. */
  amend(
    actor: Actor,
    reportId: string,
    input: ReportSubmission,
    reason: string,
    status: AmendStatus | boolean,
    ctx: CallContext = {},
    expectedVersion = 0,
  ): Promise<{ report: ReportView; replayed: boolean }> {
    return this.versioning.amend(actor, reportId, input, reason, status, ctx, expectedVersion);
  }

  /** See ReportVersioning.cancel. */
  cancel(
    actor: Actor,
    reportId: string,
    reason: string,
    ctx: CallContext = {},
    expectedVersion = 0,
  ): Promise<ReportView> {
    return this.versioning.cancel(actor, reportId, reason, ctx, expectedVersion);
  }

  get(actor: Actor, reportId: string, version = 0, ctx: CallContext = {}): Promise<ReportView> {
    return this.queries.get(actor, reportId, version, ctx);
  }

  history(actor: Actor, reportId: string, ctx: CallContext = {}): Promise<ReportView[]> {
    return this.queries.history(actor, reportId, ctx);
  }

  search(
    actor: Actor,
    input: SearchInput,
    ctx: CallContext = {},
  ): Promise<{ reports: ReportView[]; nextPageToken: string; total?: number }> {
    return this.queries.search(actor, input, ctx);
  }

  acknowledge(
    actor: Actor,
    reportId: string,
    version: number,
    note: string,
    ctx: CallContext = {},
  ): Promise<{ report: ReportView; replayed: boolean }> {
    return this.acknowledgements.acknowledge(actor, reportId, version, note, ctx);
  }

  unacknowledged(
    actor: Actor,
    input: { minSeverity?: 'abnormal' | 'critical'; pageSize?: number; pageToken?: string },
  ): Promise<{ items: { report: ReportView; waitingSeconds: number }[]; nextPageToken: string }> {
    return this.acknowledgements.unacknowledged(actor, input);
  }
}
