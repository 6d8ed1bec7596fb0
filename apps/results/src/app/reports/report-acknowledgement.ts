import { pageToken } from '../domain/page-token';
import type { Actor } from '../domain/ports';
import { ResultsError, ResultsErrorCode } from '../domain/results.errors';
import { pageSize, Violations } from '../domain/validation';
import type { Acknowledgement, ReportView } from './report-types';
import { type CallContext, type ReportSupport } from './report-support';

/** The requester's acknowledgement of a result, and the safety net of what is still unacknowledged. */
export class ReportAcknowledgement {
  constructor(private readonly s: ReportSupport) {}

  /** The requesting organisation acknowledges a version (idempotent: the first acknowledgement stands). */
  async acknowledge(
    actor: Actor,
    reportId: string,
    version: number,
    note: string,
    ctx: CallContext = {},
  ): Promise<{ report: ReportView; replayed: boolean }> {
    const v = new Violations();
    v.uuid('report_id', reportId);
    if (!Number.isInteger(version) || version < 0) v.add('version', 'range', 'version must be ≥ 0');
    v.maxLength('note', note, 2000);
    v.throwIfAny();
    const row = await this.s.visible(actor, reportId);
    if (row.requesterOdsCode !== actor.odsCode)
      throw new ResultsError(
        ResultsErrorCode.NotRequester,
        `Only the requesting organisation (${row.requesterOdsCode}) can acknowledge report ${reportId}`,
        { reportId },
      );
    const now = this.s.clock.now();
    return this.s.repo.inTransaction(async (repo, tx) => {
      const current = (await repo.lock(reportId))!;
      const target = version === 0 ? current.version : version;
      if (target !== current.version)
        throw new ResultsError(
          ResultsErrorCode.IllegalTransition,
          `Version ${target} of report ${reportId} has been superseded by version ${current.version}; acknowledge the latest`,
          { reportId, latestVersion: String(current.version) },
        );
      const ack: Acknowledgement = {
        version: target,
        odsCode: actor.odsCode,
        systemId: actor.systemId,
        ...(actor.userId ? { userId: actor.userId } : {}),
        note: note ?? '',
        acknowledgedAt: now,
      };
      const created = await repo.insertAcknowledgement({ ...ack, reportId });
      const fresh = (await repo.findById(reportId))!;
      const report = await this.s.view(fresh, repo);
      if (created)
        await this.s.emit(
          tx,
          { type: 'ResultAcknowledged', report, acknowledgement: ack },
          actor,
          ctx,
          now,
        );
      return { report, replayed: !created };
    });
  }

  /** Safety net for the caller's organisation as requester: oldest first, with waiting time. */
  async unacknowledged(
    actor: Actor,
    input: { minSeverity?: 'abnormal' | 'critical'; pageSize?: number; pageToken?: string },
  ): Promise<{ items: { report: ReportView; waitingSeconds: number }[]; nextPageToken: string }> {
    const v = new Violations();
    const size = pageSize(input.pageSize, v);
    v.throwIfAny();
    const minRank = input.minSeverity === 'critical' ? 2 : 1;
    const filter = { requester: actor.odsCode, minRank };
    const cursor = pageToken.decode(input.pageToken, filter);
    const rows = await this.s.repo.unacknowledged(actor.odsCode, minRank, cursor, size + 1);
    const page = pageToken.pageBy(rows, size, (last) => [last.receivedAt, last.id], filter);
    const now = this.s.clock.now().getTime();
    const views = await this.s.views(page.rows, true);
    return {
      items: views.map((report, i) => ({
        report,
        waitingSeconds: Math.max(0, Math.floor((now - page.rows[i]!.receivedAt.getTime()) / 1000)),
      })),
      nextPageToken: page.nextPageToken,
    };
  }
}
