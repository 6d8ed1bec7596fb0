import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { Bundle, Observation } from '@medplum/fhirtypes';
import { FhirError, parseObservationId, reportObservationsToFhir } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { PATIENT_PARAM, searchOf } from './fhir.search';
import { versionHeaders } from './fhir.support';
import { pageObservations, type ReportPage } from './observation.paging';
import {
  patientParamSubject,
  PlatformFhirController,
  resourceSubject,
} from './platform-fhir.controller';
import { codeParam, REPORTS_PER_CALL, SEARCH_FIELDS } from './report.fhir';

/** Observation: the observations of lab reports — read one, search a patient's. */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ObservationFhirController extends PlatformFhirController {
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
    const r = await this.call(
      this.platforms.reports.getReport,
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
      PATIENT_PARAM,
      {
        name: 'code',
        type: 'token',
        and: true,
        documentation: 'Observation code ([system|]code, LOINC or SNOMED CT)',
      },
    ],
    summary:
      "A patient's observations from the reports the caller may see, newest report first (paged by observation; the token also needs system/DiagnosticReport.s)",
  })
  async searchObservations(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const nhs = this.patientParam(req);
    const wanted = codeParam(searchOf(req));
    if (nhs === null || wanted === null) return this.noMatch(req, res);
    const reports = async (pageToken: string): Promise<ReportPage> => {
      const r = await this.call(
        this.platforms.reports.searchReports,
        {
          nhsNumber: nhs,
          category: 0,
          code: wanted?.code ?? '',
          statuses: [],
          page: { pageSize: REPORTS_PER_CALL, pageToken },
          includeObservations: true,
        },
        forwardContext(req),
        'Observation',
        (f) => SEARCH_FIELDS[f],
      );
      const observations = r.reports
        .flatMap(reportObservationsToFhir)
        .filter(
          (o) =>
            !wanted ||
            (o.code.coding ?? []).some(
              (c) =>
                c.code === wanted.code &&
                (wanted.system === undefined || c.system === wanted.system),
            ),
        );
      return { observations, nextPageToken: r.page?.nextPageToken };
    };
    // the platform counts reports, not observations: the total is counted here when asked
    return this.pagedSearch(req, res, (page) => pageObservations(reports, page));
  }
}
