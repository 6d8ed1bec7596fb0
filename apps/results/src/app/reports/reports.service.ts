import type { PatientDirectory } from '@trellis/identity-client';
import { serviceEntry } from '@trellis/service-kit';

import type { Clock } from '../domain/ports';
import { ReportAcknowledgement } from './report-acknowledgement';
import { ReportIngest } from './report-ingest';
import { ReportQueries } from './report-queries';
import { ReportSupport } from './report-support';
import type { ResultEventSink } from './report-types';
import { ReportVersioning } from './report-versioning';
import type { ReportsRepository } from './reports.repository';

export { type BatchOutcome, MAX_BATCH } from './report-ingest';
export type { SearchInput } from './report-queries';
export type { CallContext } from './report-support';
export { AMEND_STATUSES, type AmendStatus } from './report-versioning';

/**
 * Results rules: idempotent submission on the lab's identifier, versioned amendment, visibility
 * (performing lab and requester only), acknowledgement and the safety net. Every state change and
 * its event are written in one transaction. The one entry point over the responsibilities, each
 * in its own class: ingest, versioning, acknowledgement and queries.
 */
export class ReportsService extends serviceEntry(
  (
    repo: ReportsRepository,
    patients: PatientDirectory,
    events: ResultEventSink,
    clock: Clock,
    /** Uncached: answers the patient's registered GP practice (a cached answer does not). */
    registrations: PatientDirectory = patients,
  ) => {
    const support = new ReportSupport(repo, patients, events, clock, registrations);
    const versioning = new ReportVersioning(support);
    return {
      ingest: new ReportIngest(support, versioning),
      versioning,
      queries: new ReportQueries(support),
      acknowledgement: new ReportAcknowledgement(support),
    };
  },
  {
    ingest: ['submit', 'submitMany'],
    versioning: ['amend', 'cancel'],
    queries: ['get', 'history', 'search', 'forPatients'],
    acknowledgement: ['acknowledge', 'unacknowledged'],
  },
) {}
