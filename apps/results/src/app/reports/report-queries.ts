import type { PatientBatchQuery } from '@trellis/service-kit';

import { CATEGORIES, STATUSES } from '../domain/report-content';
import { pageToken } from '../domain/page-token';
import type { Actor } from '../domain/ports';
import { ResultsError, ResultsErrorCode } from '../domain/results.errors';
import { pageSize, Violations } from '../domain/validation';
import type { ReportView } from './report-types';
import type { CallContext, ReportSupport } from './report-support';
import type { SearchFilter } from './reports.repository';

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

/** Reading reports: one (any version), its history, and search within what the caller may see. */
export class ReportQueries {
  constructor(private readonly s: ReportSupport) {}

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
    const row = await this.s.visible(actor, reportId, ctx);
    if (version === 0 || version === row.version) return this.s.view(row);
    const old = await this.s.repo.version(reportId, version);
    if (!old)
      throw new ResultsError(
        ResultsErrorCode.VersionNotFound,
        `Report ${reportId} has no version ${version} (latest is ${row.version})`,
        { reportId },
      );
    return this.s.historic(row, version, old);
  }

  async history(actor: Actor, reportId: string, ctx: CallContext = {}): Promise<ReportView[]> {
    const v = new Violations();
    v.uuid('report_id', reportId);
    v.throwIfAny();
    const row = await this.s.visible(actor, reportId, ctx);
    const acks = await this.s.repo.acknowledgements([row]);
    return (await this.s.repo.versions(reportId)).map((h) => {
      const view = this.s.historic(row, h.version, h);
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
    if (input.labReportId) v.identifier('lab_report_id', input.labReportId);
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
      (actor.patient === nhsNumber || (await this.s.isRegisteredGp(actor, nhsNumber, ctx)))
    )
      filter.registeredGp = true;
    const cursor = pageToken.decode(input.pageToken, filter);
    // The total is counted when the search is index-bound (a patient or a lab identifier).
    const [rows, total] = await Promise.all([
      this.s.repo.search(filter, cursor, size + 1),
      filter.nhsNumber || filter.labReportId
        ? this.s.repo.count(filter)
        : Promise.resolve(undefined),
    ]);
    const page = pageToken.pageBy(rows, size, (last) => [last.issuedAt, last.id], filter);
    return {
      reports: await this.s.views(page.rows, input.includeObservations === true),
      nextPageToken: page.nextPageToken,
      ...(total !== undefined ? { total } : {}),
    };
  }

  /**
   * Bulk export ($export at the gateway): every report of a batch of patients whoever requested
   * or issued it, latest version with its observations, keyset-paged by id; changed since = the
   * latest version's receipt. Which patients is the gateway's judgement (identity's region list).
   */
  async forPatients(
    q: PatientBatchQuery,
  ): Promise<{ reports: ReportView[]; nextPageToken: string }> {
    const rows = await this.s.repo.forPatients(q);
    const page = q.page(rows);
    return { reports: await this.s.views(page.rows, true), nextPageToken: page.nextPageToken };
  }
}
