import { randomUUID } from 'node:crypto';

import { regionOfOrganisation } from '@trellis/service-kit';

import {
  assessSeverity,
  contentHash,
  normaliseReport,
  type ReportContent,
  type ReportSubmission,
} from '../domain/report-content';
import type { Actor } from '../domain/ports';
import { ResultsError, ResultsErrorCode } from '../domain/results.errors';
import type { ReportRow } from '../prisma';
import type { ReportView } from './report-types';
import {
  ANY_STATUS,
  type CallContext,
  FIRST_STATUSES,
  type ReportSupport,
  VERSION_STATUSES,
} from './report-support';
import type { ReportVersioning } from './report-versioning';
import type { VersionWrite } from './reports.repository';

export const MAX_BATCH = 500;

export type BatchOutcome =
  | { report: ReportView; replayed: boolean; error?: undefined }
  | {
      error: {
        code: string;
        message: string;
        details: { field: string; rule: string; message: string }[];
      };
    };

/** An item's error as data; field paths re-rooted from "report." to "reports[i].". */
function failure(err: unknown, i: number): BatchOutcome {
  if (err instanceof ResultsError)
    return {
      error: {
        code: err.code,
        message: err.message,
        details: err.violations.map((v) => ({
          field: v.field.replace(/^report\./, `reports[${i}].`),
          rule: v.rule,
          message: v.message,
        })),
      },
    };
  // Anything else (database down, a bug) fails the whole call rather than hide in an item.
  throw err;
}

/** Submission of reports by their lab: idempotent on the lab's identifier, one by one or in batches. */
export class ReportIngest {
  constructor(
    private readonly s: ReportSupport,
    private readonly versioning: ReportVersioning,
  ) {}

  /**
   * Same content under the same (lab, lab_report_id) → the existing report, replayed. Different
   * content → a new version when it is one (amended/corrected/cancelled with a reason, or an update
   * of a preliminary report), else REPORT_IDENTIFIER_CONFLICT.
   */
  async submit(
    actor: Actor,
    input: ReportSubmission,
    ctx: CallContext = {},
    expectedVersion = 0,
  ): Promise<{ report: ReportView; replayed: boolean }> {
    if (!Number.isInteger(expectedVersion) || expectedVersion < 0)
      throw ResultsError.invalid([
        { field: 'expected_version', rule: 'range', message: 'expected_version must be ≥ 0' },
      ]);
    // A new version status needs an existing report: looked up first so that this is reported with
    // every other field problem. preliminary/final go straight to the insert (one round trip less
    // on the hot path); ON CONFLICT finds an existing report there.
    const versionStatus = (VERSION_STATUSES as readonly string[]).includes(input.status ?? '');
    // expected_version names an existing report's version: looked up first as well.
    const existing =
      input.labReportId && (versionStatus || expectedVersion > 0)
        ? await this.s.repo.findByLabId(
            input.performingLabOdsCode || actor.odsCode,
            input.labReportId,
          )
        : null;
    const content = normaliseReport(input, {
      callerOdsCode: actor.odsCode,
      now: this.s.clock.now(),
      allowedStatuses: existing || !versionStatus ? ANY_STATUS : FIRST_STATUSES,
    });
    this.s.assertLab(actor, content.labOdsCode);
    const hash = contentHash(content);
    const reason = (input.versionReason ?? '').trim();

    if (existing)
      return this.resubmission(actor, existing, content, hash, reason, ctx, expectedVersion);
    if (expectedVersion > 0)
      throw new ResultsError(
        ResultsErrorCode.VersionMismatch,
        `No report ${content.labReportId} from ${content.labOdsCode} exists to be at version ${expectedVersion}`,
        { labReportId: content.labReportId },
      );
    try {
      await this.s.assertPatient(content.nhsNumber, ctx);
    } catch (err) {
      // A resubmission of a report already held is answered even if identity now objects
      // (e.g. the number was merged since): idempotency first.
      const held = await this.s.repo.findByLabId(content.labOdsCode, content.labReportId);
      if (held) return this.resubmission(actor, held, content, hash, reason, ctx, expectedVersion);
      throw err;
    }
    const now = this.s.clock.now();
    const write: VersionWrite = {
      reportId: randomUUID(),
      version: 1,
      content,
      hash,
      severity: assessSeverity(content.observations),
      reason: null,
      submittedBy: actor.systemId,
      receivedAt: now,
      labRegion: regionOfOrganisation(content.labOdsCode) ?? actor.region,
    };
    const created = await this.s.repo.inTransaction(async (repo, tx) => {
      const row = await repo.insertNewReport(write);
      if (!row) return null;
      const report = this.s.viewOf(row, content, null, true);
      await this.s.emit(tx, { type: 'ResultAvailable', report }, actor, ctx, now);
      return report;
    });
    if (created) return { report: created, replayed: false };
    // The identifier exists (an earlier or concurrent submission): replay it, or treat ours as a version.
    const winner = (await this.s.repo.findByLabId(content.labOdsCode, content.labReportId))!;
    return this.resubmission(actor, winner, content, hash, reason, ctx, expectedVersion);
  }

  private async resubmission(
    actor: Actor,
    existing: ReportRow,
    content: ReportContent,
    hash: string,
    reason: string,
    ctx: CallContext,
    expectedVersion = 0,
  ): Promise<{ report: ReportView; replayed: boolean }> {
    if (existing.contentHash === hash || (await this.s.repo.hasVersionWithHash(existing.id, hash)))
      return { report: await this.s.view(existing), replayed: true };
    return this.versioning.newVersion(
      actor,
      existing.id,
      content,
      hash,
      reason,
      ctx,
      expectedVersion,
    );
  }

  /**
   * SubmitReports: each item with submit()'s semantics and its own outcome. First submissions of
   * preliminary/final reports (the bulk of any batch) are validated, patient-checked (distinct
   * numbers, in parallel) and written in ONE transaction with their ResultAvailable events; every
   * other item (new versions, identifiers already held, repeats within the batch) then goes
   * through submit() one by one.
   */
  async submitMany(
    actor: Actor,
    inputs: readonly ReportSubmission[],
    ctx: CallContext = {},
  ): Promise<BatchOutcome[]> {
    if (inputs.length > MAX_BATCH)
      throw ResultsError.invalid([
        { field: 'reports', rule: 'max-items', message: `at most ${MAX_BATCH} reports per call` },
      ]);
    const out: (BatchOutcome | undefined)[] = new Array(inputs.length);
    const now = this.s.clock.now();
    const fast: { i: number; write: VersionWrite }[] = [];
    const slow: number[] = [];
    const seen = new Set<string>();
    inputs.forEach((input, i) => {
      if ((VERSION_STATUSES as readonly string[]).includes(input.status ?? '')) return slow.push(i);
      try {
        const content = normaliseReport(input, {
          callerOdsCode: actor.odsCode,
          now,
          allowedStatuses: ANY_STATUS,
        });
        this.s.assertLab(actor, content.labOdsCode);
        const key = `${content.labOdsCode}\u0000${content.labReportId}`;
        if (seen.has(key)) return slow.push(i);
        seen.add(key);
        fast.push({
          i,
          write: {
            reportId: randomUUID(),
            version: 1,
            content,
            hash: contentHash(content),
            severity: assessSeverity(content.observations),
            reason: null,
            submittedBy: actor.systemId,
            receivedAt: now,
            labRegion: regionOfOrganisation(content.labOdsCode) ?? actor.region,
          },
        });
      } catch (err) {
        out[i] = failure(err, i);
      }
      return undefined;
    });
    // Patient checks: each distinct number once, concurrently.
    const numbers = [...new Set(fast.map((f) => f.write.content.nhsNumber))];
    const refusals = new Map<string, unknown>();
    await Promise.all(
      numbers.map(async (n) => {
        try {
          await this.s.assertPatient(n, ctx);
        } catch (err) {
          refusals.set(n, err);
        }
      }),
    );
    const writes = fast
      .filter((f) => {
        const err = refusals.get(f.write.content.nhsNumber);
        if (err === undefined) return true;
        slow.push(f.i); // submit() answers a held report as a replay, else the same refusal
        return false;
      })
      .sort((a, b) =>
        a.write.content.labReportId < b.write.content.labReportId
          ? -1
          : a.write.content.labReportId > b.write.content.labReportId
            ? 1
            : 0,
      );
    if (writes.length > 0) {
      const created = await this.s.repo.inTransaction(async (repo, tx) => {
        const ids = await repo.insertNewReports(writes.map((w) => w.write));
        const events: { report: ReportView; i: number }[] = [];
        for (const w of writes) {
          if (!ids.has(w.write.reportId)) continue;
          events.push({
            i: w.i,
            report: this.s.viewOf(this.s.repo.rowOf(w.write), w.write.content, null, true),
          });
        }
        await this.s.events.appendMany(
          tx,
          events.map((e) => ({ type: 'ResultAvailable' as const, report: e.report })),
          {
            actor,
            ...(ctx.correlationId ? { correlationId: ctx.correlationId } : {}),
            occurredAt: now,
          },
        );
        return events;
      });
      for (const c of created) out[c.i] = { report: c.report, replayed: false };
      // Identifiers already held: a resend of an unchanged version-1 report is answered here in
      // bulk (two queries for the batch); anything else goes through submit().
      const held = writes.filter((w) => !out[w.i]);
      const rows = await this.s.repo.findManyByLabIds(
        actor.odsCode,
        held.map((w) => w.write.content.labReportId),
      );
      const byId = new Map(rows.map((r) => [r.labReportId, r]));
      const acks = await this.s.repo.acknowledgements(rows);
      for (const w of held) {
        const row = byId.get(w.write.content.labReportId);
        if (row && row.version === 1 && row.contentHash === w.write.hash) {
          const view = this.s.viewOf(row, w.write.content, null, true);
          const ack = acks.get(row.id);
          out[w.i] = { report: ack ? { ...view, acknowledgement: ack } : view, replayed: true };
        } else slow.push(w.i);
      }
    }
    slow.sort((a, b) => a - b);
    for (const i of slow) {
      try {
        out[i] = await this.submit(actor, inputs[i]!, ctx);
      } catch (err) {
        out[i] = failure(err, i);
      }
    }
    return out.map((o, i) => o ?? failure(new Error('not processed'), i));
  }
}
