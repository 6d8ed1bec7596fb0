import type { PatientDirectory, PatientLookupContext } from '@trellis/identity-client';

import { assessSeverity, type ReportContent, type ReportStatus } from '../domain/report-content';
import type { Actor, Clock } from '../domain/ports';
import { ResultsError, ResultsErrorCode } from '../domain/results.errors';
import type { ReportRow } from '../prisma';
import type { ReportView, ResultEvent, ResultEventSink } from './report-types';
import type { ReportsRepository } from './reports.repository';

export interface CallContext extends PatientLookupContext {
  correlationId?: string;
}

export type Tx = Parameters<ResultEventSink['append']>[0];

export const FIRST_STATUSES: readonly ReportStatus[] = ['preliminary', 'final'];
export const ANY_STATUS: readonly ReportStatus[] = [
  'preliminary',
  'final',
  'amended',
  'corrected',
  'appended',
  'cancelled',
];
export const VERSION_STATUSES: readonly ReportStatus[] = [
  'amended',
  'corrected',
  'appended',
  'cancelled',
];

/**
 * What the report responsibilities (ingest, versioning, acknowledgement, queries) share: the
 * ports, the lab/visibility/patient checks, event emission and the views of a report.
 */
export class ReportSupport {
  constructor(
    readonly repo: ReportsRepository,
    readonly patients: PatientDirectory,
    readonly events: ResultEventSink,
    readonly clock: Clock,
    /** Uncached: answers the patient's registered GP practice (a cached answer does not). */
    readonly registrations: PatientDirectory = patients,
  ) {}

  assertLab(actor: Actor, labOdsCode: string): void {
    if (labOdsCode !== actor.odsCode)
      throw new ResultsError(
        ResultsErrorCode.NotPerformingLab,
        `Only the performing lab (${labOdsCode}) can submit or change this report; the caller is ${actor.odsCode}`,
        { labOdsCode },
      );
  }

  /**
   * The performing lab and the requesting organisation see a report; so does the patient's
   * registered GP practice when reading (`ctx` given: identity is asked, with the caller's token).
   * Anyone else gets NOT_FOUND.
   */
  async visible(actor: Actor, reportId: string, ctx?: CallContext): Promise<ReportRow> {
    const row = await this.repo.findById(reportId);
    const party =
      !!row && (row.labOdsCode === actor.odsCode || row.requesterOdsCode === actor.odsCode);
    if (row && (party || (ctx && (await this.isRegisteredGp(actor, row.nhsNumber, ctx)))))
      return row;
    throw ResultsError.notFound(ResultsErrorCode.ReportNotFound, 'Report', 'reportId', reportId);
  }

  /**
   * Is the caller the patient's current registered GP practice (identity's GetPatient with the
   * caller's own token)? Identity refusing the caller, or withholding the registration of a
   * restricted record, means no; identity being unavailable is reported, never read as "no".
   */
  async isRegisteredGp(actor: Actor, nhsNumber: string, ctx: CallContext): Promise<boolean> {
    try {
      const s = await this.registrations.standing(nhsNumber, ctx);
      return (
        (s.kind === 'active' || s.kind === 'deceased') &&
        !!s.gpOdsCode &&
        s.gpOdsCode === actor.odsCode
      );
    } catch (err) {
      if (err instanceof ResultsError && err.code === ResultsErrorCode.PatientLookupDenied)
        return false;
      throw err;
    }
  }

  async assertPatient(nhsNumber: string, ctx: CallContext): Promise<void> {
    const s = await this.patients.standing(nhsNumber, ctx);
    if (s.kind === 'not-found')
      throw new ResultsError(
        ResultsErrorCode.PatientNotFound,
        `No patient with NHS number ${nhsNumber} is known to the identity platform`,
        { nhsNumber },
      );
    if (s.kind === 'merged')
      throw new ResultsError(
        ResultsErrorCode.PatientMerged,
        `NHS number ${nhsNumber} was merged into ${s.survivorNhsNumber}; submit the report for the surviving number`,
        { nhsNumber, survivorNhsNumber: s.survivorNhsNumber },
      );
    // Deceased patients still get results (e.g. post-mortem or samples taken before death).
  }

  async emit(
    tx: Tx,
    event: ResultEvent,
    actor: Actor,
    ctx: CallContext,
    occurredAt: Date,
  ): Promise<void> {
    await this.events.append(tx, event, {
      actor,
      ...(ctx.correlationId ? { correlationId: ctx.correlationId } : {}),
      occurredAt,
    });
  }

  /** The report's latest version with its acknowledgement (inside a unit of work: its repository). */
  async view(row: ReportRow, repo: ReportsRepository = this.repo): Promise<ReportView> {
    const latest = (await repo.version(row.id, row.version))!;
    const acks = await repo.acknowledgements([row]);
    const view = this.viewOf(row, latest.content, latest.reason, true);
    const ack = acks.get(row.id);
    return ack ? { ...view, acknowledgement: ack } : view;
  }

  async views(rows: ReportRow[], withObservations: boolean): Promise<ReportView[]> {
    const contents = withObservations
      ? await this.repo.contents(rows.map((r) => ({ id: r.id, version: r.version })))
      : new Map<string, ReportContent>();
    const acks = await this.repo.acknowledgements(rows);
    return rows.map((r) => {
      const view = this.viewOf(r, contents.get(r.id) ?? contentFromRow(r), null, withObservations);
      const ack = acks.get(r.id);
      return ack ? { ...view, acknowledgement: ack } : view;
    });
  }

  viewOf(
    row: ReportRow,
    content: ReportContent,
    reason: string | null,
    observationsIncluded: boolean,
  ): ReportView {
    return {
      id: row.id,
      content,
      version: row.version,
      latestVersion: row.version,
      versionReason: reason ?? '',
      receivedAt: row.receivedAt,
      contentHash: row.contentHash,
      labRegion: row.labRegion,
      mostSevere: row.mostSevere,
      severityRank: row.severityRank,
      abnormalCount: row.abnormalCount,
      observationsIncluded,
    };
  }

  historic(
    row: ReportRow,
    version: number,
    h: { content: ReportContent; reason: string | null; receivedAt: Date; hash: string },
  ): ReportView {
    const sev = assessSeverity(h.content.observations);
    return {
      id: row.id,
      content: h.content,
      version,
      latestVersion: row.version,
      versionReason: h.reason ?? '',
      receivedAt: h.receivedAt,
      contentHash: h.hash,
      labRegion: row.labRegion,
      mostSevere: sev.mostSevere ?? '',
      severityRank: sev.rank,
      abnormalCount: sev.abnormalCount,
      observationsIncluded: true,
    };
  }
}

/** Header-only content rebuilt from the reports row (search results without observations). */
function contentFromRow(r: ReportRow): ReportContent {
  return {
    labReportId: r.labReportId,
    nhsNumber: r.nhsNumber,
    category: r.category as ReportContent['category'],
    code: {
      system: r.codeSystem as ReportContent['code']['system'],
      code: r.code,
      display: r.codeDisplay,
    },
    status: r.status as ReportStatus,
    labOdsCode: r.labOdsCode,
    requester: {
      odsCode: r.requesterOdsCode,
      region: r.requesterRegion,
      practitionerId: r.requesterPractitionerId,
    },
    referralId: r.referralId,
    issued: r.issuedAt.toISOString(),
    conclusion: r.conclusion,
    observations: [],
  };
}
