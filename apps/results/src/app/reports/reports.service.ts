import { randomUUID } from 'node:crypto';

import {
  assessSeverity,
  CATEGORIES,
  contentHash,
  STATUSES,
  normaliseReport,
  type ReportContent,
  type ReportStatus,
  type ReportSubmission,
} from '../domain/report-content';
import { decodePageToken, encodePageToken } from '../domain/page-token';
import type { Actor, Clock } from '../domain/ports';
import { ResultsError, ResultsErrorCode } from '../domain/results.errors';
import { IDENTIFIER, pageSize, Violations } from '../domain/validation';
import type { PatientDirectory, PatientLookupContext } from '@trellis/identity-client';
import { regionOfOrganisation } from '@trellis/platform';
import type { PrismaClient, ReportRow } from '../prisma';
import type { Acknowledgement, ReportView, ResultEvent, ResultEventSink } from './report-types';
import { ReportsRepository, type SearchFilter, type VersionWrite } from './reports.repository';

export interface CallContext extends PatientLookupContext {
  correlationId?: string;
}

export interface SearchInput {
  nhsNumber?: string;
  category?: string;
  code?: string;
  issuedFrom?: Date;
  issuedTo?: Date;
  statuses?: string[];
  includeObservations?: boolean;
  pageSize?: number;
  pageToken?: string;
  /** The caller's own lab's report with this identifier (conditional create). */
  labReportId?: string;
}

const TX = { maxWait: 10_000, timeout: 15_000 } as const;
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
const FIRST_STATUSES: readonly ReportStatus[] = ['preliminary', 'final'];
const ANY_STATUS: readonly ReportStatus[] = [
  'preliminary',
  'final',
  'amended',
  'corrected',
  'appended',
  'cancelled',
];
const VERSION_STATUSES: readonly ReportStatus[] = ['amended', 'corrected', 'appended', 'cancelled'];
/** What AmendReport may set. */
export const AMEND_STATUSES = ['amended', 'corrected', 'appended'] as const;
export type AmendStatus = (typeof AMEND_STATUSES)[number];

/**
 * Results rules: idempotent submission on the lab's identifier, versioned amendment, visibility
 * (performing lab and requester only), acknowledgement and the safety net. Every state change and
 * its event are written in one transaction.
 */
export class ReportsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly repo: ReportsRepository,
    private readonly patients: PatientDirectory,
    private readonly events: ResultEventSink,
    private readonly clock: Clock,
    /** Uncached: answers the patient's registered GP practice (a cached answer does not). */
    private readonly registrations: PatientDirectory = patients,
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
        ? await this.repo.findByLabId(
            this.prisma,
            input.performingLabOdsCode || actor.odsCode,
            input.labReportId,
          )
        : null;
    const content = normaliseReport(input, {
      callerOdsCode: actor.odsCode,
      now: this.clock.now(),
      allowedStatuses: existing || !versionStatus ? ANY_STATUS : FIRST_STATUSES,
    });
    this.assertLab(actor, content.labOdsCode);
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
      await this.assertPatient(content.nhsNumber, ctx);
    } catch (err) {
      // A resubmission of a report already held is answered even if identity now objects
      // (e.g. the number was merged since): idempotency first.
      const held = await this.repo.findByLabId(
        this.prisma,
        content.labOdsCode,
        content.labReportId,
      );
      if (held) return this.resubmission(actor, held, content, hash, reason, ctx, expectedVersion);
      throw err;
    }
    const now = this.clock.now();
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
    const created = await this.prisma.$transaction(async (tx) => {
      const row = await this.repo.insertNewReport(tx, write);
      if (!row) return null;
      const report = this.viewOf(row, content, null, true);
      await this.emit(tx, { type: 'ResultAvailable', report }, actor, ctx, now);
      return report;
    }, TX);
    if (created) return { report: created, replayed: false };
    // The identifier exists (an earlier or concurrent submission): replay it, or treat ours as a version.
    const winner = (await this.repo.findByLabId(
      this.prisma,
      content.labOdsCode,
      content.labReportId,
    ))!;
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
    if (
      existing.contentHash === hash ||
      (await this.repo.hasVersionWithHash(this.prisma, existing.id, hash))
    )
      return { report: await this.view(existing), replayed: true };
    return this.newVersion(actor, existing.id, content, hash, reason, ctx, expectedVersion);
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
    const now = this.clock.now();
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
        this.assertLab(actor, content.labOdsCode);
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
          await this.assertPatient(n, ctx);
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
      const created = await this.prisma.$transaction(async (tx) => {
        const ids = await this.repo.insertNewReports(
          tx,
          writes.map((w) => w.write),
        );
        const events: { report: ReportView; i: number }[] = [];
        for (const w of writes) {
          if (!ids.has(w.write.reportId)) continue;
          events.push({
            i: w.i,
            report: this.viewOf(this.repo.rowOf(w.write), w.write.content, null, true),
          });
        }
        await this.events.appendMany(
          tx,
          events.map((e) => ({ type: 'ResultAvailable' as const, report: e.report })),
          {
            actor,
            ...(ctx.correlationId ? { correlationId: ctx.correlationId } : {}),
            occurredAt: now,
          },
        );
        return events;
      }, TX);
      for (const c of created) out[c.i] = { report: c.report, replayed: false };
      // Identifiers already held: a resend of an unchanged version-1 report is answered here in
      // bulk (two queries for the batch); anything else goes through submit().
      const held = writes.filter((w) => !out[w.i]);
      const rows = await this.repo.findManyByLabIds(
        this.prisma,
        actor.odsCode,
        held.map((w) => w.write.content.labReportId),
      );
      const byId = new Map(rows.map((r) => [r.labReportId, r]));
      const acks = await this.repo.acknowledgements(this.prisma, rows);
      for (const w of held) {
        const row = byId.get(w.write.content.labReportId);
        if (row && row.version === 1 && row.contentHash === w.write.hash) {
          const view = this.viewOf(row, w.write.content, null, true);
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
    const current = await this.visible(actor, reportId);
    this.assertLab(actor, current.labOdsCode);
    const versionStatus: AmendStatus =
      typeof status === 'string' ? status : status ? 'corrected' : 'amended';
    const content = normaliseReport(
      {
        ...input,
        labReportId: input.labReportId || current.labReportId,
        performingLabOdsCode: current.labOdsCode,
        status: versionStatus,
      },
      { callerOdsCode: actor.odsCode, now: this.clock.now(), allowedStatuses: VERSION_STATUSES },
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
    if (await this.repo.hasVersionWithHash(this.prisma, current.id, hash))
      return { report: await this.view(current), replayed: true };
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
    const current = await this.visible(actor, reportId);
    this.assertLab(actor, current.labOdsCode);
    const latest = (await this.repo.version(this.prisma, current.id, current.version))!;
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

  private async newVersion(
    actor: Actor,
    reportId: string,
    content: ReportContent,
    hash: string,
    reason: string,
    ctx: CallContext,
    expectedVersion = 0,
  ): Promise<{ report: ReportView; replayed: boolean }> {
    const now = this.clock.now();
    return this.prisma.$transaction(async (tx) => {
      const current = (await this.repo.lock(tx, reportId))!;
      // Re-checked under the lock: a concurrent writer may have stored this very content.
      if (await this.repo.hasVersionWithHash(tx, reportId, hash))
        return { report: await this.view(current, tx), replayed: true };
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
      await this.repo.insertVersion(tx, write);
      const row = await this.repo.updateLatest(tx, write);
      const report = this.viewOf(row, content, write.reason, true);
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
      await this.emit(tx, event, actor, ctx, now);
      return { report, replayed: false };
    }, TX);
  }

  /** The latest version by default, or the one asked for. */
  async get(
    actor: Actor,
    reportId: string,
    version = 0,
    ctx: CallContext = {},
  ): Promise<ReportView> {
    const v = new Violations();
    v.uuid('report_id', reportId);
    if (!Number.isInteger(version) || version < 0) v.add('version', 'range', 'version must be ≥ 0');
    v.throwIfAny();
    const row = await this.visible(actor, reportId, ctx);
    if (version === 0 || version === row.version) return this.view(row);
    const old = await this.repo.version(this.prisma, reportId, version);
    if (!old)
      throw new ResultsError(
        ResultsErrorCode.VersionNotFound,
        `Report ${reportId} has no version ${version} (latest is ${row.version})`,
        { reportId },
      );
    return this.historic(row, version, old);
  }

  async history(actor: Actor, reportId: string, ctx: CallContext = {}): Promise<ReportView[]> {
    const v = new Violations();
    v.uuid('report_id', reportId);
    v.throwIfAny();
    const row = await this.visible(actor, reportId, ctx);
    const acks = await this.repo.acknowledgements(this.prisma, [row]);
    return (await this.repo.versions(this.prisma, reportId)).map((h) => {
      const view = this.historic(row, h.version, h);
      const ack = acks.get(row.id);
      return h.version === row.version && ack ? { ...view, acknowledgement: ack } : view;
    });
  }

  async search(
    actor: Actor,
    input: SearchInput,
    ctx: CallContext = {},
  ): Promise<{ reports: ReportView[]; nextPageToken: string; total?: number }> {
    const v = new Violations();
    let nhsNumber: string | undefined;
    if (input.labReportId)
      v.pattern(
        'lab_report_id',
        input.labReportId,
        IDENTIFIER,
        'identifier',
        'lab_report_id must be 1-64 letters, digits or . _ : / -',
      );
    if (input.nhsNumber) nhsNumber = v.nhsNumber('nhs_number', input.nhsNumber);
    if (input.code && !/^[A-Za-z0-9-]{1,32}$/.test(input.code))
      v.add('code', 'code', 'code must be a LOINC or SNOMED CT code');
    if (input.issuedFrom && input.issuedTo && input.issuedFrom >= input.issuedTo)
      v.add('issued_to', 'range', 'issued_to must be after issued_from');
    if (input.category && !(CATEGORIES as readonly string[]).includes(input.category))
      v.add('category', 'enum', 'category must be PATHOLOGY or RADIOLOGY');
    (input.statuses ?? []).forEach((s, i) => {
      if (!(STATUSES as readonly string[]).includes(s))
        v.add(`statuses[${i}]`, 'enum', `unknown status ${s}`);
    });
    const size = pageSize(input.pageSize, v);
    const filter: SearchFilter & { organisation: string } = {
      organisation: actor.odsCode,
      nhsNumber,
      category: input.category || undefined,
      code: input.code || undefined,
      issuedFrom: input.issuedFrom,
      issuedTo: input.issuedTo,
      statuses: input.statuses?.length ? [...input.statuses].sort() : undefined,
      labReportId: input.labReportId || undefined,
    };
    v.throwIfAny();
    // the patient's registered practice sees all of that patient's results (shared care record)
    // ... and so does the patient themself (a citizen's patient token, own NHS number only)
    if (
      nhsNumber &&
      !filter.labReportId &&
      (actor.patient === nhsNumber || (await this.isRegisteredGp(actor, nhsNumber, ctx)))
    )
      filter.registeredGp = true;
    const cursor = decodePageToken(input.pageToken, filter);
    // The total is counted when the search is index-bound (a patient or a lab identifier).
    const [rows, total] = await Promise.all([
      this.repo.search(this.prisma, filter, cursor, size + 1),
      filter.nhsNumber || filter.labReportId
        ? this.repo.count(this.prisma, filter)
        : Promise.resolve(undefined),
    ]);
    const page = rows.slice(0, size);
    const last = page[page.length - 1];
    const next =
      rows.length > size && last
        ? encodePageToken({ t: last.issuedAt.toISOString(), i: last.id }, filter)
        : '';
    return {
      reports: await this.views(page, input.includeObservations === true),
      nextPageToken: next,
      ...(total !== undefined ? { total } : {}),
    };
  }

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
    const row = await this.visible(actor, reportId);
    if (row.requesterOdsCode !== actor.odsCode)
      throw new ResultsError(
        ResultsErrorCode.NotRequester,
        `Only the requesting organisation (${row.requesterOdsCode}) can acknowledge report ${reportId}`,
        { reportId },
      );
    const now = this.clock.now();
    return this.prisma.$transaction(async (tx) => {
      const current = (await this.repo.lock(tx, reportId))!;
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
      const created = await this.repo.insertAcknowledgement(tx, { ...ack, reportId });
      const fresh = (await this.repo.findById(tx, reportId))!;
      const report = await this.view(fresh, tx);
      if (created)
        await this.emit(
          tx,
          { type: 'ResultAcknowledged', report, acknowledgement: ack },
          actor,
          ctx,
          now,
        );
      return { report, replayed: !created };
    }, TX);
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
    const cursor = decodePageToken(input.pageToken, filter);
    const rows = await this.repo.unacknowledged(
      this.prisma,
      actor.odsCode,
      minRank,
      cursor,
      size + 1,
    );
    const page = rows.slice(0, size);
    const last = page[page.length - 1];
    const now = this.clock.now().getTime();
    const views = await this.views(page, true);
    return {
      items: views.map((report, i) => ({
        report,
        waitingSeconds: Math.max(0, Math.floor((now - page[i]!.receivedAt.getTime()) / 1000)),
      })),
      nextPageToken:
        rows.length > size && last
          ? encodePageToken({ t: last.receivedAt.toISOString(), i: last.id }, filter)
          : '',
    };
  }

  // ---- helpers ----

  private assertLab(actor: Actor, labOdsCode: string): void {
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
  private async visible(actor: Actor, reportId: string, ctx?: CallContext): Promise<ReportRow> {
    const row = await this.repo.findById(this.prisma, reportId);
    const party =
      !!row && (row.labOdsCode === actor.odsCode || row.requesterOdsCode === actor.odsCode);
    if (row && (party || (ctx && (await this.isRegisteredGp(actor, row.nhsNumber, ctx)))))
      return row;
    throw new ResultsError(ResultsErrorCode.ReportNotFound, `Report ${reportId} not found`, {
      reportId,
    });
  }

  /**
   * Is the caller the patient's current registered GP practice (identity's GetPatient with the
   * caller's own token)? Identity refusing the caller, or withholding the registration of a
   * restricted record, means no; identity being unavailable is reported, never read as "no".
   */
  private async isRegisteredGp(
    actor: Actor,
    nhsNumber: string,
    ctx: CallContext,
  ): Promise<boolean> {
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

  private async assertPatient(nhsNumber: string, ctx: CallContext): Promise<void> {
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

  private async emit(
    tx: Parameters<ResultEventSink['append']>[0],
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

  private async view(
    row: ReportRow,
    db: Parameters<ResultEventSink['append']>[0] | PrismaClient = this.prisma,
  ): Promise<ReportView> {
    const latest = (await this.repo.version(db, row.id, row.version))!;
    const acks = await this.repo.acknowledgements(db, [row]);
    const view = this.viewOf(row, latest.content, latest.reason, true);
    const ack = acks.get(row.id);
    return ack ? { ...view, acknowledgement: ack } : view;
  }

  private async views(rows: ReportRow[], withObservations: boolean): Promise<ReportView[]> {
    const contents = withObservations
      ? await this.repo.contents(
          this.prisma,
          rows.map((r) => ({ id: r.id, version: r.version })),
        )
      : new Map<string, ReportContent>();
    const acks = await this.repo.acknowledgements(this.prisma, rows);
    return rows.map((r) => {
      const view = this.viewOf(r, contents.get(r.id) ?? contentFromRow(r), null, withObservations);
      const ack = acks.get(r.id);
      return ack ? { ...view, acknowledgement: ack } : view;
    });
  }

  private viewOf(
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

  private historic(
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
