import type { PatientDirectory } from '@trellis/identity-client';

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
export class ReportsService {
  readonly submit: ReportIngest['submit'];
  readonly submitMany: ReportIngest['submitMany'];
  readonly amend: ReportVersioning['amend'];
  readonly cancel: ReportVersioning['cancel'];
  readonly get: ReportQueries['get'];
  readonly history: ReportQueries['history'];
  readonly search: ReportQueries['search'];
  readonly forPatients: ReportQueries['forPatients'];
  readonly acknowledge: ReportAcknowledgement['acknowledge'];
  readonly unacknowledged: ReportAcknowledgement['unacknowledged'];

  constructor(
    repo: ReportsRepository,
    patients: PatientDirectory,
    events: ResultEventSink,
    clock: Clock,
    /** Uncached: answers the patient's registered GP practice (a cached answer does not). */
    registrations: PatientDirectory = patients,
  ) {
    const support = new ReportSupport(repo, patients, events, clock, registrations);
    const versioning = new ReportVersioning(support);
    const ingest = new ReportIngest(support, versioning);
    const queries = new ReportQueries(support);
    const acks = new ReportAcknowledgement(support);
    this.submit = ingest.submit.bind(ingest);
    this.submitMany = ingest.submitMany.bind(ingest);
    this.amend = versioning.amend.bind(versioning);
    this.cancel = versioning.cancel.bind(versioning);
    this.get = queries.get.bind(queries);
    this.history = queries.history.bind(queries);
    this.search = queries.search.bind(queries);
    this.forPatients = queries.forPatients.bind(queries);
    this.acknowledge = acks.acknowledge.bind(acks);
    this.unacknowledged = acks.unacknowledged.bind(acks);
  }
}
