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
export type ResultEvent =
  | { type: 'ResultAvailable'; report: ReportView }
  | {
      type: 'ResultAmended';
      report: ReportView;
      previousVersion: number;
      previousStatus: string;
      reason: string;
    }
  | { type: 'ResultAcknowledged'; report: ReportView; acknowledgement: Acknowledgement };

export interface EventMeta {
  actor?: { systemId: string; odsCode: string; region: string; userId?: string };
  correlationId?: string;
  occurredAt: Date;
}

export interface ResultEventSink {
  append(tx: Prisma.TransactionClient, event: ResultEvent, meta: EventMeta): Promise<void>;
  /** Several events with one statement, in order. */
  appendMany(
    tx: Prisma.TransactionClient,
    events: readonly ResultEvent[],
    meta: EventMeta,
  ): Promise<void>;
}

export const RESULT_EVENT_SINK = Symbol('results.event-sink');
