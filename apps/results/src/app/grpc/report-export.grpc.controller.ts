import { Controller } from '@nestjs/common';
import { results } from '@trellis/contracts';
import { patientBatchQueryOf } from '@trellis/platform';

import { ResultsError } from '../domain/results.errors';
import { ReportsService } from '../reports/reports.service';
import { reportToProto } from './mappers';

const { ReportExportServiceControllerMethods } = results.v1;

/**
 * Bulk export's source of results (FHIR $export at the gateway): every report of the given
 * patients with its observations. Reached only by Trellis services (the front door does not
 * forward this service) with a population-read token; which patients is the gateway's judgement
 * (identity's regional list), so the platform needs no regional knowledge.
 */
@Controller()
@ReportExportServiceControllerMethods()
export class ReportExportGrpcController implements results.v1.ReportExportServiceController {
  constructor(private readonly reports: ReportsService) {}

  async listReportsForPatients(
    req: results.v1.ListReportsForPatientsRequest,
  ): Promise<results.v1.ListReportsForPatientsResponse> {
    const q = patientBatchQueryOf(req, (violations) => ResultsError.invalid(violations));
    const r = await this.reports.forPatients(q);
    return {
      reports: r.reports.map(reportToProto),
      page: { nextPageToken: r.nextPageToken },
    };
  }
}
