import {
  assessSeverity,
  contentHash,
  normaliseReport,
  type ReportContent,
  type ReportStatus,
  type ReportSubmission,
} from '../domain/report-content';
import type { Actor } from '../domain/ports';
import { ResultsError, ResultsErrorCode } from '../domain/results.errors';
import { Violations } from '../domain/validation';
import type { ReportView, ResultEvent } from './report-types';
import { type CallContext, type ReportSupport, VERSION_STATUSES } from './report-support';
import type { VersionWrite } from './reports.repository';

/** What AmendReport may set. */
export const AMEND_STATUSES = ['amended', 'corrected', 'appended'] as const;
export type AmendStatus = (typeof AMEND_STATUSES)[number];

/** New versions of a held report: amendment, cancellation and the versioning rules under the row lock. */
export class ReportVersioning {
  constructor(private readonly s: ReportSupport) {}

  /**
   * AmendReport: the new content as status AMENDED, CORRECTED or APPENDED (`status`; a boolean
   * `correction` is read as CORRECTED for older callers) with the reason. `expectedVersion` > 0
   * must be the latest version (checked under the row lock).
   */
  async amend(
    actor: Actor,
    reportId: string,
    input: ReportSubmission,
    reason: string,
    status: AmendStatus | boolean,
    ctx: CallContext = {},
    expectedVersion = 0,
  ): Promise<{ report: ReportView; replayed: boolean }> {
    const v = new Violations();
    v.uuid('report_id', reportId);
    if (v.required('reason', reason)) v.maxLength('reason', reason, 1000);
    if (typeof status === 'string' && !(AMEND_STATUSES as readonly string[]).includes(status))
      v.add('status', 'enum', 'status must be AMENDED, CORRECTED or APPENDED');
    if (!Number.isInteger(expectedVersion) || expectedVersion < 0)
      v.add('expected_version', 'range', 'expected_version must be ≥ 0');
    v.throwIfAny();
    const current = await this.s.visible(actor, reportId);
    this.s.assertLab(actor, current.labOdsCode);
    const versionStatus: AmendStatus =
      typeof status === 'string' ? status : status ? 'corrected' : 'amended';
    const content = normaliseReport(
      {
        ...input,
        labReportId: input.labReportId || current.labReportId,
        performingLabOdsCode: current.labOdsCode,
        status: versionStatus,
      },
      { callerOdsCode: actor.odsCode, now: this.s.clock.now(), allowedStatuses: VERSION_STATUSES },
      v,
    );
    if (content.labReportId !== current.labReportId)
      throw ResultsError.invalid([
        {
          field: 'report.lab_report_id',
          rule: 'immutable',
          message: 'lab_report_id cannot change',
        },
      ]);
    const hash = contentHash(content);
    if (await this.s.repo.hasVersionWithHash(current.id, hash))
      return { report: await this.s.view(current), replayed: true };
    return this.newVersion(actor, current.id, content, hash, reason.trim(), ctx, expectedVersion);
  }

  /** CancelReport: the latest content as status CANCELLED with the reason. */
  async cancel(
    actor: Actor,
    reportId: string,
    reason: string,
    ctx: CallContext = {},
    expectedVersion = 0,
  ): Promise<ReportView> {
    const v = new Violations();
    v.uuid('report_id', reportId);
    if (v.required('reason', reason)) v.maxLength('reason', reason, 1000);
    if (!Number.isInteger(expectedVersion) || expectedVersion < 0)
      v.add('expected_version', 'range', 'expected_version must be ≥ 0');
    v.throwIfAny();
    const current = await this.s.visible(actor, reportId);
    this.s.assertLab(actor, current.labOdsCode);
    const latest = (await this.s.repo.version(current.id, current.version))!;
    const content: ReportContent = { ...latest.content, status: 'cancelled' };
    const res = await this.newVersion(
      actor,
      current.id,
      content,
      contentHash(content),
      reason.trim(),
      ctx,
      expectedVersion,
    );
    return res.report;
  }

  /** expected_version > 0 must be the latest version (If-Match). */
  private assertExpected(current: { id: string; version: number }, expected: number): void {
    if (expected > 0 && expected !== current.version)
      throw new ResultsError(
        ResultsErrorCode.VersionMismatch,
        `Report ${current.id} is at version ${current.version}, not ${expected}`,
        { reportId: current.id, latestVersion: String(current.version) },
      );
  }

  async newVersion(
    actor: Actor,
    reportId: string,
    content: ReportContent,
    hash: string,
    reason: string,
    ctx: CallContext,
    expectedVersion = 0,
  ): Promise<{ report: ReportView; replayed: boolean }> {
    const now = this.s.clock.now();
    return this.s.repo.inTransaction(async (repo, tx) => {
      const current = (await repo.lock(reportId))!;
      // Re-checked under the lock: a concurrent writer may have stored this very content.
      if (await repo.hasVersionWithHash(reportId, hash))
        return { report: await this.s.view(current, repo), replayed: true };
      // Under the lock: nobody wrote a version since the caller read the one it names (a retry of
      // the same change is the replay above, not a mismatch).
      this.assertExpected(current, expectedVersion);
      const previous = current.status as ReportStatus;
      if (previous === 'cancelled')
        throw new ResultsError(
          ResultsErrorCode.IllegalTransition,
          `Report ${reportId} is cancelled; submit a new report instead`,
          { reportId },
        );
      const isVersion = VERSION_STATUSES.includes(content.status);
      const preliminaryUpdate =
        previous === 'preliminary' &&
        (content.status === 'preliminary' || content.status === 'final');
      if (!isVersion && !preliminaryUpdate)
        throw new ResultsError(
          ResultsErrorCode.ReportIdentifierConflict,
          `Lab report ${content.labReportId} was already received with different content; send it as amended or corrected with a reason`,
          { reportId, labReportId: content.labReportId },
        );
      const v = new Violations();
      if (isVersion && !reason)
        v.add('report.version_reason', 'required', `a ${content.status} version needs a reason`);
      if (content.nhsNumber !== current.nhsNumber)
        v.add(
          'report.nhs_number',
          'immutable',
          'the patient of a report cannot change: cancel it and submit a new report',
        );
      if (content.category !== current.category)
        v.add('report.category', 'immutable', 'the category of a report cannot change');
      v.throwIfAny();
      const write: VersionWrite = {
        reportId,
        version: current.version + 1,
        content,
        hash,
        severity: assessSeverity(content.observations),
        reason: reason || null,
        submittedBy: actor.systemId,
        receivedAt: now,
        labRegion: current.labRegion,
      };
      await repo.insertVersion(write);
      const row = await repo.updateLatest(write);
      const report = this.s.viewOf(row, content, write.reason, true);
      const event: ResultEvent =
        previous === 'preliminary' && content.status === 'final'
          ? { type: 'ResultAvailable', report }
          : {
              type: 'ResultAmended',
              report,
              previousVersion: current.version,
              previousStatus: previous,
              reason,
            };
      await this.s.emit(tx, event, actor, ctx, now);
      return { report, replayed: false };
    });
  }
}
