import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { Bundle, DiagnosticReport, Observation } from '@medplum/fhirtypes';
import { results } from '@trellis/contracts';
import {
  FhirError,
  parseObservationId,
  reportObservationsToFhir,
  reportToFhir,
  submitReportFromFhir,
} from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { countParam, queryParams, versionHeaders } from './fhir.support';
import {
  op,
  param,
  patientParamSubject,
  PlatformFhirController,
  REASON_PARAM,
  resourceSubject,
} from './platform-fhir.controller';

const RESULTS = 'trellis.results.v1.ReportService';

/** DiagnosticReport and Observation: lab results — submit, read, versions, search, acknowledge. */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ReportFhirController extends PlatformFhirController {
  // ---------------------------------------------------------------- DiagnosticReport (results)

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
    summary:
      'Submit a lab report with contained Observations (the performing lab is the caller; identifier = idempotency key)',
  })
  async createReport(@Req() req: Request, @Res() res: Response): Promise<DiagnosticReport> {
    const body = await this.validated<DiagnosticReport>(req, 'DiagnosticReport', 'create', {
      mode: 'create',
    });
    const r = await this.call<results.v1.SubmitReportResponse>(
      'results',
      RESULTS,
      'SubmitReport',
      { report: submitReportFromFhir(body) },
      forwardContext(req),
      'DiagnosticReport',
    );
    const d = reportToFhir(r.report!);
    return sendFhir(res, r.replayed ? 200 : 201, d, {
      ...versionHeaders(d),
      Location: `${this.base}/DiagnosticReport/${d.id}/_history/${d.meta?.versionId ?? '1'}`,
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
    const vid = String(req.params['vid']);
    if (!/^[1-9]\d*$/.test(vid))
      throw FhirError.of(404, 'not-found', 'http.not-found', `version ${vid} not found`);
    return this.report(req, res, Number(vid));
  }

  private async report(req: Request, res: Response, version: number): Promise<DiagnosticReport> {
    const r = await this.call<results.v1.GetReportResponse>(
      'results',
      RESULTS,
      'GetReport',
      { reportId: String(req.params['id']), version },
      forwardContext(req),
      'DiagnosticReport',
    );
    const d = reportToFhir(r.report!);
    return sendFhir(res, 200, d, versionHeaders(d));
  }

  @FhirRoute({
    method: 'GET',
    path: 'DiagnosticReport',
    resource: 'DiagnosticReport',
    platform: 'results',
    interaction: 'search-type',
    scope: 'system/DiagnosticReport.s',
    patientData: true,
    subject: patientParamSubject,
    searchParams: [
      { name: 'patient', type: 'reference', documentation: 'Patient/<NHS number> (required)' },
      { name: 'code', type: 'token', documentation: 'Report or observation code' },
      { name: '_count', type: 'number', documentation: 'Page size (capped)' },
    ],
    summary: "A patient's reports, newest first",
  })
  async searchReports(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const nhs = this.patientParam(req);
    const params = queryParams(req);
    const count = countParam(params, 50, this.config.maxCount);
    const r = await this.call<results.v1.SearchReportsResponse>(
      'results',
      RESULTS,
      'SearchReports',
      {
        nhsNumber: nhs,
        category: 0,
        code: (params.get('code')?.[0] ?? '').split('|').pop() ?? '',
        statuses: [],
        page: { pageSize: Math.max(count, 1), pageToken: '' },
        includeObservations: true,
      },
      forwardContext(req),
      'DiagnosticReport',
    );
    return this.searchset(req, res, r.reports.map(reportToFhir));
  }

  // ---------------------------------------------------------------- Observation (results)

  @FhirRoute({
    method: 'GET',
    path: 'Observation/:id',
    resource: 'Observation',
    platform: 'results',
    interaction: 'read',
    scope: 'system/Observation.r',
    patientData: true,
    subject: resourceSubject,
    summary:
      'Read one observation of a report (id <report id>-obs-<i>; the token also needs system/DiagnosticReport.r)',
  })
  async readObservation(@Req() req: Request, @Res() res: Response): Promise<Observation> {
    const id = String(req.params['id']);
    const parsed = parseObservationId(id);
    if (!parsed)
      throw FhirError.of(404, 'not-found', 'http.not-found', `Observation/${id} not found`);
    const r = await this.call<results.v1.GetReportResponse>(
      'results',
      RESULTS,
      'GetReport',
      { reportId: parsed.reportId, version: 0 },
      forwardContext(req),
      'Observation',
    );
    const o = reportObservationsToFhir(r.report!)[parsed.index];
    if (!o) throw FhirError.of(404, 'not-found', 'http.not-found', `Observation/${id} not found`);
    return sendFhir(res, 200, o, versionHeaders(o));
  }

  @FhirRoute({
    method: 'GET',
    path: 'Observation',
    resource: 'Observation',
    platform: 'results',
    interaction: 'search-type',
    scope: 'system/Observation.s',
    patientData: true,
    subject: patientParamSubject,
    searchParams: [
      { name: 'patient', type: 'reference', documentation: 'Patient/<NHS number> (required)' },
      {
        name: 'code',
        type: 'token',
        documentation: 'Observation code ([system|]code, LOINC or SNOMED CT)',
      },
      {
        name: '_count',
        type: 'number',
        documentation: 'Reports per page (capped); each report contributes its observations',
      },
    ],
    summary:
      "A patient's observations from the reports the caller may see, newest report first (the token also needs system/DiagnosticReport.s)",
  })
  async searchObservations(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const nhs = this.patientParam(req);
    const params = queryParams(req);
    const count = countParam(params, 50, this.config.maxCount);
    const rawCode = params.get('code')?.[0];
    const codeSystem = rawCode?.includes('|') ? rawCode.split('|')[0] : undefined;
    const code = rawCode?.split('|').pop() ?? '';
    const r = await this.call<results.v1.SearchReportsResponse>(
      'results',
      RESULTS,
      'SearchReports',
      {
        nhsNumber: nhs,
        category: 0,
        code,
        statuses: [],
        page: { pageSize: Math.max(count, 1), pageToken: this.pageToken(req) },
        includeObservations: true,
      },
      forwardContext(req),
      'Observation',
    );
    const found = r.reports
      .flatMap(reportObservationsToFhir)
      .filter(
        (o) =>
          !code ||
          (o.code.coding ?? []).some(
            (c) => c.code === code && (codeSystem === undefined || c.system === codeSystem),
          ),
      );
    return this.searchset(req, res, found, { count, nextPageToken: r.page?.nextPageToken });
  }

  @FhirRoute({
    method: 'POST',
    path: 'DiagnosticReport/:id/$acknowledge',
    resource: 'DiagnosticReport',
    platform: 'results',
    interaction: 'operation',
    scope: 'system/DiagnosticReport.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Acknowledge (file) a result as the requesting organisation',
    operation: op(
      'acknowledge',
      true,
      'The requesting organisation acknowledges a result version (idempotent: a repeat returns the first acknowledgement). Parameters: version (0/absent = latest), note.',
      [
        {
          name: 'version',
          use: 'in',
          min: 0,
          max: '1',
          type: 'integer',
          documentation: 'Version acknowledged (latest when absent)',
        },
        { ...REASON_PARAM, name: 'note' },
        {
          name: 'return',
          use: 'out',
          min: 1,
          max: '1',
          type: 'DiagnosticReport',
          documentation: 'The acknowledged report',
        },
      ],
    ),
  })
  async acknowledge(@Req() req: Request, @Res() res: Response): Promise<DiagnosticReport> {
    const p = await this.parameters(req, 'DiagnosticReport', 'operation:$acknowledge');
    const version = Number(param(p, 'version') ?? 0);
    const r = await this.call<results.v1.AcknowledgeReportResponse>(
      'results',
      RESULTS,
      'AcknowledgeReport',
      {
        reportId: String(req.params['id']),
        version: Number.isInteger(version) ? version : 0,
        note: param(p, 'note') ?? '',
      },
      forwardContext(req),
      'DiagnosticReport',
    );
    const d = reportToFhir(r.report!);
    return sendFhir(res, 200, d, versionHeaders(d));
  }
}
