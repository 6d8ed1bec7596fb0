import type { BatchingDomainEventSink, SubjectEvents } from '@trellis/events';

import type { ReportContent, Severity } from '../domain/report-content';
import type { Prisma } from '../prisma';

export type { ReportContent, Severity };

export interface Acknowledgement {
  version: number;
  odsCode: string;
  systemId: string;
  userId?: string;
  note: string;
  acknowledgedAt: Date;
}

/** A report as the API serves it: one version's content plus what the platform knows about it. */
export interface ReportView {
  id: string;
  content: ReportContent;
  version: number;
  latestVersion: number;
  versionReason: string;
  receivedAt: Date;
  contentHash: string;
  labRegion: string;
  mostSevere: string;
  severityRank: number;
  abnormalCount: number;
  /** Acknowledgement of this version (only set when it is the latest and acknowledged). */
  acknowledgement?: Acknowledgement;
  /** Observations are omitted from search results unless asked for. */
  observationsIncluded: boolean;
}

/** What happened to a report; written to the outbox in the same transaction. */
export type ResultEvent = SubjectEvents<
  'report',
  ReportView,
  {
    ResultAvailable: object;
    ResultAmended: { previousVersion: number; previousStatus: string; reason: string };
    ResultAcknowledged: { acknowledgement: Acknowledgement };
  }
>;

/** Port: appends events to the outbox inside the caller's transaction (several with one statement). */
export type ResultEventSink = BatchingDomainEventSink<ResultEvent, Prisma.TransactionClient>;
