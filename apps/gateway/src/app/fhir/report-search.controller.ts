import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { Bundle } from '@medplum/fhirtypes';
import { toTimestamp } from '@trellis/contracts';
import { FhirError, reportToFhir } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { clip, PATIENT_PARAM, searchOf } from './fhir.search';
import { patientParamSubject, PlatformFhirController } from './platform-fhir.controller';
import {
  CATEGORY_PARAM,
  codeParam,
  issuedWindow,
  SEARCH_FIELDS,
  STATUS_PARAM,
} from './report.fhir';

/** DiagnosticReport search: a patient's reports, newest issued first. */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ReportSearchFhirController extends PlatformFhirController {
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
      PATIENT_PARAM,
      {
        name: 'code',
        type: 'token',
        and: true,
        documentation: 'Report or observation code ([system|]code)',
      },
      {
        name: 'status',
        type: 'token',
        and: true,
        or: true,
        documentation:
          'preliminary, partial, final, amended, corrected, appended, cancelled (comma = or)',
      },
      {
        name: 'category',
        type: 'token',
        and: true,
        or: true,
        documentation:
          'LAB or RAD ([http://terminology.hl7.org/CodeSystem/v2-0074|]code; one category per search)',
      },
      {
        name: 'date',
        type: 'date',
        and: true,
        documentation: 'Issued (eq, ge, gt, le, lt; repeat for a range: repetitions are ANDed)',
      },
    ],
    summary: "A patient's reports, newest issued first (paged: next link and the platform's total)",
  })
  async searchReports(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const nhs = this.patientParam(req);
    const search = searchOf(req);
    const statuses = search.anyOf('status', (s) => {
      const st = STATUS_PARAM[s.trim()];
      if (st === undefined)
        throw FhirError.of(
          400,
          'invalid',
          'search.status',
          `unknown report status ${clip(s)}`,
          'status',
        );
      return st;
    });
    const categories = search.anyOf('category', (c) => {
      const [system, code] = c.includes('|') ? c.split('|', 2) : ['', c];
      const k = CATEGORY_PARAM[code ?? ''];
      if (k === undefined || (system && system !== 'http://terminology.hl7.org/CodeSystem/v2-0074'))
        throw FhirError.of(
          400,
          'invalid',
          'search.category',
          `unknown category ${clip(c)} (LAB or RAD)`,
          'category',
        );
      return k;
    });
    if (categories && categories.size > 1)
      throw FhirError.of(
        400,
        'not-supported',
        'search.category',
        'one category per search',
        'category',
      );
    const code = codeParam(search);
    const window = issuedWindow(search.values('date'));
    if (
      nhs === null ||
      code === null ||
      window.empty ||
      [statuses, categories].some((set) => set?.size === 0)
    )
      return this.noMatch(req, res);
    return this.pagedSearch(req, res, async (page) => {
      const r = await this.call(
        this.platforms.reports.searchReports,
        {
          nhsNumber: nhs,
          category: categories ? [...categories][0]! : 0,
          code: code?.code ?? '',
          statuses: [...(statuses ?? [])],
          ...(window.from ? { issuedFrom: toTimestamp(window.from) } : {}),
          ...(window.to ? { issuedTo: toTimestamp(window.to) } : {}),
          page,
          includeObservations: searchOf(req).count > 0,
          labReportId: '',
        },
        forwardContext(req),
        'DiagnosticReport',
        (f) => SEARCH_FIELDS[f],
      );
      return {
        resources: r.reports.map(reportToFhir),
        nextPageToken: r.page?.nextPageToken,
        total: r.page?.total,
      };
    });
  }
}
