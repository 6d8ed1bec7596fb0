import { pageOf, results } from '@trellis/contracts';

import { ReportsService } from '../reports/reports.service';
import { platformGrpcController } from '@trellis/identity-client';
import {
  amendStatusFromProto,
  categoryFromProto,
  dateFromProto,
  reportToProto,
  severityFromProto,
  statusFromProto,
  submissionFromProto,
} from './mappers';

export const ReportGrpcController = platformGrpcController(
  results.v1.ReportServiceDefinition,
  [ReportsService],
  (reports: ReportsService) => ({
    submitReport: async (req, { caller, ctx }) => {
      const res = await reports.submit(
        caller,
        submissionFromProto(req.report),
        ctx,
        req.expectedVersion ?? 0,
      );
      return { report: reportToProto(res.report), replayed: res.replayed };
    },
    submitReports: async (req, { caller, ctx }) => {
      const outcomes = await reports.submitMany(
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
    },
    amendReport: async (req, { caller, ctx }) => {
      const res = await reports.amend(
        caller,
        req.reportId,
        submissionFromProto(req.report),
        req.reason,
        amendStatusFromProto(req.status, req.correction === true),
        ctx,
        req.expectedVersion ?? 0,
      );
      return { report: reportToProto(res.report), replayed: res.replayed };
    },
    cancelReport: async (req, { caller, ctx }) => {
      return {
        report: reportToProto(
          await reports.cancel(caller, req.reportId, req.reason, ctx, req.expectedVersion ?? 0),
        ),
      };
    },
    getReport: async (req, { caller, ctx }) => {
      return {
        report: reportToProto(await reports.get(caller, req.reportId, req.version ?? 0, ctx)),
      };
    },
    listReportVersions: async (req, { caller, ctx }) => {
      return {
        versions: (await reports.history(caller, req.reportId, ctx)).map(reportToProto),
      };
    },
    searchReports: async (req, { caller, ctx }) => {
      const res = await reports.search(
        caller,
        {
          nhsNumber: req.nhsNumber,
          category: categoryFromProto(req.category),
          code: req.code,
          issuedFrom: dateFromProto(req.issuedFrom),
          issuedTo: dateFromProto(req.issuedTo),
          statuses: (req.statuses ?? []).map(statusFromProto).filter(Boolean),
          includeObservations: req.includeObservations === true,
          ...pageOf(req.page),
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
    },
    acknowledgeReport: async (req, { caller, ctx }) => {
      const res = await reports.acknowledge(
        caller,
        req.reportId,
        req.version ?? 0,
        req.note ?? '',
        ctx,
      );
      return { report: reportToProto(res.report), replayed: res.replayed };
    },
    listUnacknowledgedReports: async (req, { caller }) => {
      const res = await reports.unacknowledged(caller, {
        minSeverity: severityFromProto(req.minSeverity),
        ...pageOf(req.page),
      });
      return {
        reports: res.items.map((i) => ({
          report: reportToProto(i.report),
          waitingSeconds: i.waitingSeconds,
        })),
        page: { nextPageToken: res.nextPageToken },
      };
    },
  }),
);
