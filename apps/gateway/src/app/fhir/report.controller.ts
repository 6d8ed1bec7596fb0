import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { Bundle, DiagnosticReport } from '@medplum/fhirtypes';
import { results } from '@trellis/contracts';
import {
  FhirError,
  fhirErrorFromPlatform,
  type FhirIssue,
  LAB_REPORT_ID_SYSTEM,
  reportToFhir,
  submitReportFromFhir,
  VERSION_REASON_EXTENSION,
} from '@trellis/fhir';
import type { TypedUnaryMethod } from '@trellis/service-kit';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { searchOf } from './fhir.search';
import {
  etag,
  requiredIfMatch,
  parseQueryString,
  versionHeaders,
  headerValue,
} from './fhir.support';
import { PlatformCallError, type ForwardContext } from './platform-clients';
import {
  PlatformFhirController,
  type HistoryVersion,
  resourceSubject,
} from './platform-fhir.controller';
import { reportFieldPath, VERSION_STATUS } from './report.fhir';

export { issuedWindow, reportFieldPath } from './report.fhir';

const GRPC_ALREADY_EXISTS = 6;

/**
 * DiagnosticReport: lab results — submit (conditional create), read, update as a new version,
 * history and vread. Search, Observation and $acknowledge have their own files.
 */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ReportFhirController extends PlatformFhirController {
  @FhirRoute({
    method: 'GET',
    path: 'DiagnosticReport/:id',
    resource: 'DiagnosticReport',
    platform: 'results',
    interaction: 'read',
    scope: 'system/DiagnosticReport.r',
    patientData: true,
    subject: resourceSubject,
    summary: 'Read the latest version of a report (observations contained)',
  })
  async readReport(@Req() req: Request, @Res() res: Response): Promise<DiagnosticReport> {
    return this.report(req, res, 0);
  }

  @FhirRoute({
    method: 'POST',
    path: 'DiagnosticReport',
    resource: 'DiagnosticReport',
    platform: 'results',
    interaction: 'create',
    scope: 'system/DiagnosticReport.c',
    patientData: true,
    subject: resourceSubject,
    conditionalCreate: true,
    summary:
      'Submit a lab report with contained Observations (the performing lab is the caller; identifier = idempotency key; If-None-Exist: identifier=<lab-report-id system>|<value> answers an existing report 200 unchanged)',
  })
  async createReport(@Req() req: Request, @Res() res: Response): Promise<DiagnosticReport> {
    const body = await this.validated<DiagnosticReport>(req, 'DiagnosticReport', 'create', {
      mode: 'create',
    });
    const ctx = forwardContext(req);
    const ifNoneExist = headerValue(req.headers['if-none-exist']);
    const labReportId = ifNoneExist ? this.conditionalIdentifier(ifNoneExist) : undefined;
    const own = body.identifier?.find((i) => i.system === LAB_REPORT_ID_SYSTEM)?.value;
    if (labReportId !== undefined && labReportId !== own)
      throw FhirError.of(
        400,
        'invalid',
        'conditional-create.identifier-mismatch',
        `If-None-Exist names lab report id ${labReportId}, the report's identifier is ${own ?? '(none)'}`,
      );
    if (labReportId) {
      const existing = await this.byLabReportId(labReportId, ctx);
      if (existing) return this.existing(res, existing);
    }
    let r: results.v1.SubmitReportResponse;
    try {
      r = await this.platforms.call(
        this.platforms.reports.submitReport,
        { report: submitReportFromFhir(body) },
        ctx,
      );
    } catch (err) {
      // a concurrent create of the same identifier won: conditional create answers that one
      if (
        labReportId &&
        err instanceof PlatformCallError &&
        err.decoded.code === GRPC_ALREADY_EXISTS
      ) {
        const existing = await this.byLabReportId(labReportId, ctx);
        if (existing) return this.existing(res, existing);
      }
      throw this.platformError(err);
    }
    const d = reportToFhir(r.report!);
    return sendFhir(res, r.replayed ? 200 : 201, d, {
      ...versionHeaders(d),
      Location: `${this.base}/DiagnosticReport/${d.id}/_history/${d.meta?.versionId ?? '1'}`,
    });
  }

  /** If-None-Exist: only `identifier=<lab-report-id system>|<value>` (the platform's unique key). */
  private conditionalIdentifier(ifNoneExist: string): string {
    const q = parseQueryString(ifNoneExist);
    const unsupported = [...q.keys()].filter((k) => k !== 'identifier');
    const ident = q.get('identifier') ?? [];
    const [system, value] = (ident[0] ?? '').includes('|')
      ? (ident[0]!.split('|', 2) as [string, string])
      : ['', ident[0] ?? ''];
    if (unsupported.length || ident.length !== 1 || system !== LAB_REPORT_ID_SYSTEM || !value)
      throw FhirError.of(
        400,
        'not-supported',
        'conditional-create.criteria',
        `If-None-Exist supports exactly identifier=${LAB_REPORT_ID_SYSTEM}|<lab report id>`,
      );
    return value;
  }

  /** The caller's own lab's report with this identifier, observations included. */
  private async byLabReportId(
    labReportId: string,
    ctx: ForwardContext,
  ): Promise<results.v1.Report | undefined> {
    const r = await this.call(
      this.platforms.reports.searchReports,
      {
        nhsNumber: '',
        category: 0,
        code: '',
        statuses: [],
        page: { pageSize: 1, pageToken: '' },
        includeObservations: true,
        labReportId,
      },
      ctx,
      'DiagnosticReport',
    );
    return r.reports[0];
  }

  private existing(res: Response, report: results.v1.Report): DiagnosticReport {
    const d = reportToFhir(report);
    return sendFhir(res, 200, d, {
      ...versionHeaders(d),
      'Content-Location': `${this.base}/DiagnosticReport/${d.id}/_history/${d.meta?.versionId ?? '1'}`,
    });
  }

  /** A platform error as OperationOutcome, field paths mapped (a stale version is 412 there). */
  private platformError(err: unknown): unknown {
    if (!(err instanceof PlatformCallError)) return err;
    return fhirErrorFromPlatform(err.decoded, 'DiagnosticReport', reportFieldPath);
  }

  private async resultsCall<Req, Res>(
    method: TypedUnaryMethod<Req, Res>,
    body: NoInfer<Req>,
    ctx: ForwardContext,
  ): Promise<Res> {
    try {
      return await this.platforms.call(method, body, ctx);
    } catch (err) {
      throw this.platformError(err);
    }
  }

  @FhirRoute({
    method: 'PUT',
    path: 'DiagnosticReport/:id',
    resource: 'DiagnosticReport',
    platform: 'results',
    interaction: 'update',
    scope: 'system/DiagnosticReport.u',
    patientData: true,
    subject: resourceSubject,
    summary:
      'A new version of a report, performing lab only (If-Match W/"<version>" required, 412 when stale). status amended/corrected/appended → AmendReport, cancelled → CancelReport, preliminary/final → an update of a preliminary report; the version-reason extension says why. subject, identifier and performer cannot change (422).',
  })
  async updateReport(@Req() req: Request, @Res() res: Response): Promise<DiagnosticReport> {
    const id = String(req.params['id']);
    const expected = requiredIfMatch(req.headers['if-match'], 'a report');
    const body = await this.validated<DiagnosticReport>(req, 'DiagnosticReport', 'update', {
      mode: 'update',
    });
    if (body.id !== id)
      throw FhirError.of(
        400,
        'invalid',
        'fhir.id-mismatch',
        `resource id ${body.id ?? '(none)'} does not match the URL id ${id}`,
        'DiagnosticReport.id',
      );
    const ctx = forwardContext(req);
    const current = (
      await this.resultsCall(this.platforms.reports.getReport, { reportId: id, version: 0 }, ctx)
    ).report!;
    if (expected !== current.version)
      throw FhirError.of(
        412,
        'conflict',
        'http.precondition-failed',
        `If-Match version ${expected} is stale (current ${current.version})`,
        undefined,
        { ETag: etag(current.version) },
      );
    const input = submitReportFromFhir(body);
    const immutable: FhirIssue[] = [];
    const changed = (expression: string, what: string, from: string, to: string) =>
      immutable.push({
        severity: 'error',
        code: 'business-rule',
        rule: 'diagnostic-report.immutable',
        expression,
        message: `the ${what} of a report cannot change (${from} → ${to}); cancel it and submit a new report`,
      });
    if (input.nhsNumber !== current.nhsNumber)
      changed('DiagnosticReport.subject', 'patient', current.nhsNumber, input.nhsNumber);
    if (input.labReportId !== current.labReportId)
      changed(
        'DiagnosticReport.identifier',
        'lab report id',
        current.labReportId,
        input.labReportId,
      );
    const lab = current.performingLab?.odsCode ?? '';
    if (input.performingLabOdsCode !== lab)
      changed('DiagnosticReport.performer', 'performing lab', lab, input.performingLabOdsCode);
    if (immutable.length) throw new FhirError(422, immutable);
    const reason =
      body.extension?.find((e) => e.url === VERSION_REASON_EXTENSION)?.valueString?.trim() ?? '';
    let updated: results.v1.Report;
    if (body.status === 'cancelled') {
      updated = (
        await this.resultsCall(
          this.platforms.reports.cancelReport,
          { reportId: id, reason, expectedVersion: expected },
          ctx,
        )
      ).report!;
    } else if (VERSION_STATUS[body.status] !== undefined) {
      updated = (
        await this.resultsCall(
          this.platforms.reports.amendReport,
          {
            reportId: id,
            report: { ...input, versionReason: '' },
            reason,
            correction: body.status === 'corrected',
            status: VERSION_STATUS[body.status],
            expectedVersion: expected,
          },
          ctx,
        )
      ).report!;
    } else {
      // preliminary/partial/final: the platform takes it as an update of a preliminary report (or
      // a replay of unchanged content); a released report needs amended/corrected/appended (409).
      // expected_version: the platform re-checks If-Match under the row lock.
      updated = (
        await this.resultsCall(
          this.platforms.reports.submitReport,
          { report: input, expectedVersion: expected },
          ctx,
        )
      ).report!;
    }
    const d = reportToFhir(updated);
    return sendFhir(res, 200, d, versionHeaders(d));
  }

  @FhirRoute({
    method: 'GET',
    path: 'DiagnosticReport/:id/_history',
    resource: 'DiagnosticReport',
    platform: 'results',
    interaction: 'history-instance',
    scope: 'system/DiagnosticReport.r',
    patientData: true,
    subject: resourceSubject,
    summary: 'Every version of a report, newest first (paged)',
  })
  async reportHistory(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const id = String(req.params['id']);
    const count = searchOf(req).count;
    const token = this.pageToken(req);
    // the page token is the version to continue from (versions are dense and immutable)
    if (token && !/^[1-9]\d{0,8}$/.test(token))
      throw FhirError.of(
        400,
        'invalid',
        'search.page-token',
        '_page_token is malformed',
        '_page_token',
      );
    const r = await this.resultsCall(
      this.platforms.reports.listReportVersions,
      { reportId: id },
      forwardContext(req),
    );
    const newest = [...r.versions].sort((a, b) => b.version - a.version);
    const from = token ? newest.findIndex((v) => v.version <= Number(token)) : 0;
    const page = from < 0 ? [] : newest.slice(from, from + count);
    const after = from < 0 ? undefined : newest[from + count];
    const versions = page.map((v): HistoryVersion => {
      const first = v.version === 1;
      return {
        resource: reportToFhir(v),
        version: v.version,
        created: first,
        request: first
          ? { method: 'POST', url: 'DiagnosticReport' }
          : { method: 'PUT', url: `DiagnosticReport/${id}` },
      };
    });
    return this.historyBundle(req, res, 'DiagnosticReport', versions, {
      count,
      nextPageToken: after ? String(after.version) : undefined,
      total: newest.length,
    });
  }

  @FhirRoute({
    method: 'GET',
    path: 'DiagnosticReport/:id/_history/:vid',
    resource: 'DiagnosticReport',
    platform: 'results',
    interaction: 'vread',
    scope: 'system/DiagnosticReport.r',
    patientData: true,
    subject: resourceSubject,
    summary: 'Read one version of a report',
  })
  async vreadReport(@Req() req: Request, @Res() res: Response): Promise<DiagnosticReport> {
    return this.report(req, res, this.versionParam(req, 'DiagnosticReport'));
  }

  private async report(req: Request, res: Response, version: number): Promise<DiagnosticReport> {
    const r = await this.call(
      this.platforms.reports.getReport,
      { reportId: String(req.params['id']), version },
      forwardContext(req),
      'DiagnosticReport',
    );
    const d = reportToFhir(r.report!);
    return sendFhir(res, 200, d, versionHeaders(d));
  }
}
