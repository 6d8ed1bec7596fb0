import { results } from '@trellis/contracts';
import { patientBatchQueryOf, grpcController, type GrpcHandlers } from '@trellis/service-kit';

import { ResultsError } from '../domain/results.errors';
import { ReportsService } from '../reports/reports.service';
import { reportToProto } from './mappers';

/**
 * Bulk export's source of results (FHIR $export at the gateway): every report of the given
 * patients with its observations. Reached only by Trellis services (the front door does not
 * forward this service) with a population-read token; which patients is the gateway's judgement
 * (identity's regional list), so the platform needs no regional knowledge.
 */
export const ReportExportGrpcController = grpcController(
  results.v1.ReportExportServiceDefinition,
  [ReportsService],
  (reports: ReportsService): GrpcHandlers<results.v1.ReportExportServiceController> => ({
    listReportsForPatients: async (req) => {
      const q = patientBatchQueryOf(req, (violations) => ResultsError.invalid(violations));
      const r = await reports.forPatients(q);
      return {
        reports: r.reports.map(reportToProto),
        page: { nextPageToken: r.nextPageToken },
      };
    },
  }),
);
