import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { results } from '@trellis/contracts';

import { ReportsService } from '../reports/reports.service';
import { callOf } from '@trellis/identity-client';
import {
  amendStatusFromProto,
  categoryFromProto,
  dateFromProto,
  reportToProto,
  severityFromProto,
  statusFromProto,
  submissionFromProto,
} from './mappers';

const { ReportServiceControllerMethods } = results.v1;

@Controller()
@ReportServiceControllerMethods()
export class ReportGrpcController implements results.v1.ReportServiceController {
  constructor(private readonly reports: ReportsService) {}

  async submitReport(
    req: results.v1.SubmitReportRequest,
    md?: Metadata,
  ): Promise<results.v1.SubmitReportResponse> {
    const { caller, ctx } = callOf(md);
    const res = await this.reports.submit(
      caller,
      submissionFromProto(req.report),
      ctx,
      req.expectedVersion ?? 0,
    );
    return { report: reportToProto(res.report), replayed: res.replayed };
  }

  async submitReports(
    req: results.v1.SubmitReportsRequest,
    md?: Metadata,
  ): Promise<results.v1.SubmitReportsResponse> {
    const { caller, ctx } = callOf(md);
    const outcomes = await this.reports.submitMany(
      caller,
      (req.reports ?? []).map(submissionFromProto),
      ctx,
    );
    return {
      results: outcomes.map((o) =>
        o.error
          ? { report: undefined, replayed: false, error: o.error }
          : { report: reportToProto(o.report), replayed: o.replayed, error: undefined },
      ),
    };
  }

  async amendReport(
    req: results.v1.AmendReportRequest,
    md?: Metadata,
  ): Promise<results.v1.AmendReportResponse> {
    const { caller, ctx } = callOf(md);
    const res = await this.reports.amend(
      caller,
      req.reportId,
      submissionFromProto(req.report),
      req.reason,
      amendStatusFromProto(req.status, req.correction === true),
      ctx,
      req.expectedVersion ?? 0,
    );
    return { report: reportToProto(res.report), replayed: res.replayed };
  }

  async cancelReport(
    req: results.v1.CancelReportRequest,
    md?: Metadata,
  ): Promise<results.v1.CancelReportResponse> {
    const { caller, ctx } = callOf(md);
    return {
      report: reportToProto(
        await this.reports.cancel(caller, req.reportId, req.reason, ctx, req.expectedVersion ?? 0),
      ),
    };
  }

  async getReport(
    req: results.v1.GetReportRequest,
    md?: Metadata,
  ): Promise<results.v1.GetReportResponse> {
    const { caller, ctx } = callOf(md);
    return {
      report: reportToProto(await this.reports.get(caller, req.reportId, req.version ?? 0, ctx)),
    };
  }

  async listReportVersions(
    req: results.v1.ListReportVersionsRequest,
    md?: Metadata,
  ): Promise<results.v1.ListReportVersionsResponse> {
    const { caller, ctx } = callOf(md);
    return {
      versions: (await this.reports.history(caller, req.reportId, ctx)).map(reportToProto),
    };
  }

  async searchReports(
    req: results.v1.SearchReportsRequest,
    md?: Metadata,
  ): Promise<results.v1.SearchReportsResponse> {
    const { caller, ctx } = callOf(md);
    const res = await this.reports.search(
      caller,
      {
        nhsNumber: req.nhsNumber,
        category: categoryFromProto(req.category),
        code: req.code,
        issuedFrom: dateFromProto(req.issuedFrom),
        issuedTo: dateFromProto(req.issuedTo),
        statuses: (req.statuses ?? []).map(statusFromProto).filter(Boolean),
        includeObservations: req.includeObservations === true,
        pageSize: req.page?.pageSize,
        pageToken: req.page?.pageToken,
        labReportId: req.labReportId ?? '',
      },
      ctx,
    );
    return {
      reports: res.reports.map(reportToProto),
      page: {
        nextPageToken: res.nextPageToken,
        ...(res.total !== undefined ? { total: res.total } : {}),
      },
    };
  }

  async acknowledgeReport(
    req: results.v1.AcknowledgeReportRequest,
    md?: Metadata,
  ): Promise<results.v1.AcknowledgeReportResponse> {
    const { caller, ctx } = callOf(md);
    const res = await this.reports.acknowledge(
      caller,
      req.reportId,
      req.version ?? 0,
      req.note ?? '',
      ctx,
    );
    return { report: reportToProto(res.report), replayed: res.replayed };
  }

  async listUnacknowledgedReports(
    req: results.v1.ListUnacknowledgedReportsRequest,
    md?: Metadata,
  ): Promise<results.v1.ListUnacknowledgedReportsResponse> {
    const { caller } = callOf(md);
    const res = await this.reports.unacknowledged(caller, {
      minSeverity: severityFromProto(req.minSeverity),
      pageSize: req.page?.pageSize,
      pageToken: req.page?.pageToken,
    });
    return {
      reports: res.items.map((i) => ({
        report: reportToProto(i.report),
        waitingSeconds: i.waitingSeconds,
      })),
      page: { nextPageToken: res.nextPageToken },
    };
  }
}
