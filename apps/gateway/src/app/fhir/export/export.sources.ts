import { toTimestamp } from '@trellis/contracts';
import {
  appointmentToFhir,
  referralToFhir,
  reportObservationsToFhir,
  reportToFhir,
} from '@trellis/fhir';

import type { PlatformName } from '../fhir.config';
import type { ForwardContext, PlatformClients } from '../platform-clients';

/** Resource types the gateway can export, in export order (Patient first: it names the batch). */
export const EXPORT_TYPES = [
  'Patient',
  'ServiceRequest',
  'Appointment',
  'DiagnosticReport',
  'Observation',
] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];

/** The platform each type comes from (Patient: identity's region list). */
export const EXPORT_PLATFORM: Readonly<Record<ExportType, PlatformName>> = {
  Patient: 'identity',
  ServiceRequest: 'referrals',
  Appointment: 'appointments',
  DiagnosticReport: 'results',
  Observation: 'results',
};

/** One page of a platform's records of a batch of patients, mapped to NDJSON lines per type. */
export interface SourcePage {
  files: Array<{ type: ExportType; lines: string[] }>;
  nextPageToken: string;
}

export interface BatchPageRequest {
  nhsNumbers: string[];
  since?: Date;
  pageSize: number;
  pageToken: string;
}

/**
 * A platform's bulk-export source: its `…ForPatients` call (records of a batch of NHS numbers,
 * keyset-paged) and the shared FHIR mappers of the reads, so an exported line is exactly what a
 * FHIR read answers.
 */
export interface ExportSource {
  platform: PlatformName;
  /** The types this source yields (one call may yield several: a report and its observations). */
  types: readonly ExportType[];
  page(
    clients: PlatformClients,
    req: BatchPageRequest,
    want: ReadonlySet<ExportType>,
    ctx: ForwardContext,
  ): Promise<SourcePage>;
}

const lines = <T>(items: readonly T[], map: (t: T) => unknown): string[] =>
  items.map((i) => JSON.stringify(map(i)));

const request = (req: BatchPageRequest) => ({
  nhsNumbers: req.nhsNumbers,
  ...(req.since ? { updatedSince: toTimestamp(req.since) } : {}),
  page: { pageSize: req.pageSize, pageToken: req.pageToken },
});

/** The platform sources, in export order (Patient is identity's list, not a source). */
export const EXPORT_SOURCES: readonly ExportSource[] = [
  {
    platform: 'referrals',
    types: ['ServiceRequest'],
    async page(clients, req, _want, ctx) {
      const r = await clients.call(
        clients.referralExport.listReferralsForPatients,
        request(req),
        ctx,
      );
      return {
        files: [{ type: 'ServiceRequest', lines: lines(r.referrals, referralToFhir) }],
        nextPageToken: r.page?.nextPageToken ?? '',
      };
    },
  },
  {
    platform: 'appointments',
    types: ['Appointment'],
    async page(clients, req, _want, ctx) {
      const r = await clients.call(
        clients.appointmentExport.listAppointmentsForPatients,
        request(req),
        ctx,
      );
      return {
        files: [{ type: 'Appointment', lines: lines(r.appointments, appointmentToFhir) }],
        nextPageToken: r.page?.nextPageToken ?? '',
      };
    },
  },
  {
    platform: 'results',
    types: ['DiagnosticReport', 'Observation'],
    async page(clients, req, want, ctx) {
      const r = await clients.call(clients.reportExport.listReportsForPatients, request(req), ctx);
      const files: SourcePage['files'] = [];
      if (want.has('DiagnosticReport'))
        files.push({ type: 'DiagnosticReport', lines: lines(r.reports, reportToFhir) });
      if (want.has('Observation'))
        files.push({
          type: 'Observation',
          lines: r.reports.flatMap((rep) => lines(reportObservationsToFhir(rep), (o) => o)),
        });
      return { files, nextPageToken: r.page?.nextPageToken ?? '' };
    },
  },
];

/** The sources a job's types need, in export order. */
export function sourcesFor(types: readonly string[]): ExportSource[] {
  return EXPORT_SOURCES.filter((s) => s.types.some((t) => types.includes(t)));
}
