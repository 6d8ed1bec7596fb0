import { results } from '@trellis/contracts';

import { dateWindow, type SearchQuery } from './fhir.search';

const pb = results.v1;

/** A results field violation's field → the FHIRPath of the element it came from. */
export function reportFieldPath(field: string): string | undefined {
  const f = field.replace(/^reports?\[\d+\]\./, 'report.');
  const obs = /^report\.observations\[(\d+)\]/.exec(f);
  if (obs) return `DiagnosticReport.contained[${obs[1]}]`;
  const map: Record<string, string> = {
    'report.nhs_number': 'DiagnosticReport.subject',
    'report.lab_report_id': 'DiagnosticReport.identifier',
    'report.category': 'DiagnosticReport.category',
    'report.code': 'DiagnosticReport.code',
    'report.status': 'DiagnosticReport.status',
    'report.performing_lab_ods_code': 'DiagnosticReport.performer',
    'report.requester': 'DiagnosticReport.extension',
    'report.referral_id': 'DiagnosticReport.basedOn',
    'report.issued': 'DiagnosticReport.issued',
    'report.conclusion': 'DiagnosticReport.conclusion',
    'report.version_reason': 'DiagnosticReport.extension',
    reason: 'DiagnosticReport.extension',
  };
  const key = Object.keys(map).find((k) => f === k || f.startsWith(`${k}.`));
  return key ? map[key] : undefined;
}

/** The FHIR statuses an update may carry, and what each becomes on the platform. */
export const VERSION_STATUS: Record<string, results.v1.ReportStatus | undefined> = {
  amended: pb.ReportStatus.REPORT_STATUS_AMENDED,
  corrected: pb.ReportStatus.REPORT_STATUS_CORRECTED,
  appended: pb.ReportStatus.REPORT_STATUS_APPENDED,
};

export const STATUS_PARAM: Record<string, results.v1.ReportStatus> = {
  preliminary: pb.ReportStatus.REPORT_STATUS_PRELIMINARY,
  partial: pb.ReportStatus.REPORT_STATUS_PRELIMINARY,
  final: pb.ReportStatus.REPORT_STATUS_FINAL,
  amended: pb.ReportStatus.REPORT_STATUS_AMENDED,
  corrected: pb.ReportStatus.REPORT_STATUS_CORRECTED,
  appended: pb.ReportStatus.REPORT_STATUS_APPENDED,
  cancelled: pb.ReportStatus.REPORT_STATUS_CANCELLED,
};
export const CATEGORY_PARAM: Record<string, results.v1.ReportCategory> = {
  LAB: pb.ReportCategory.REPORT_CATEGORY_PATHOLOGY,
  RAD: pb.ReportCategory.REPORT_CATEGORY_RADIOLOGY,
};

/**
 * FHIR `date` search values (prefix eq/ge/gt/le/lt + a date or dateTime at any precision) → one
 * issued window [from, to); undefined bounds are open. 400 on a value it cannot read.
 */
export function issuedWindow(values: readonly string[]): {
  from?: Date;
  to?: Date;
  empty: boolean;
} {
  return dateWindow(values, 'date');
}

/**
 * The `code` parameter, every occurrence ANDed: the one code and the one system (when any
 * occurrence names one) all occurrences allow, or null when they cannot all hold.
 */
export function codeParam(
  search: SearchQuery,
): { code: string; system?: string } | null | undefined {
  const codes = search.anyOf('code', (v) => v.split('|').pop() ?? '');
  if (!codes) return undefined;
  const systems = new Set(
    search
      .values('code')
      .filter((v) => v.includes('|'))
      .map((v) => v.split('|')[0]!),
  );
  if (codes.size !== 1 || systems.size > 1) return null;
  const system = [...systems][0];
  return { code: [...codes][0]!, ...(system ? { system } : {}) };
}

/** Reports asked of the platform per call when paging observations. */
export const REPORTS_PER_CALL = 20;

/** SearchReports field → search parameter. */
export const SEARCH_FIELDS: Record<string, string> = {
  nhs_number: 'patient',
  'page.page_token': '_page_token',
  'page.page_size': '_count',
};
