import { events, toTimestamp } from '@trellis/contracts';
import { domainEventEnvelope, type Outbox, type OutboxEventInput } from '@trellis/events';

import { severityClass, type Interpretation } from '../app/domain/report-content';
import type { Prisma } from '../app/prisma';
import type {
  EventMeta,
  ReportView,
  ResultEvent,
  ResultEventSink,
} from '../app/reports/report-types';
import {
  ResultAcknowledgedEvent,
  ResultAmendedEvent,
  ResultAvailableEvent,
} from './result-event-types';

export function resultContext(r: ReportView): events.v1.ResultEventContext {
  const c = r.content;
  return {
    reportId: r.id,
    labReportId: c.labReportId,
    nhsNumber: c.nhsNumber,
    category: c.category,
    codeSystem: c.code.system,
    code: c.code.code,
    codeDisplay: c.code.display,
    status: c.status,
    version: r.version,
    performingLab: { odsCode: c.labOdsCode, region: r.labRegion },
    requester: { odsCode: c.requester.odsCode, region: c.requester.region },
    requesterPractitionerId: c.requester.practitionerId,
    referralId: c.referralId ?? '',
    issued: toTimestamp(new Date(c.issued)),
    mostSevereInterpretation: r.mostSevere,
    severity: severityClass((r.mostSevere || null) as Interpretation | null),
    observationCount: c.observations.length,
    abnormalCount: r.abnormalCount,
  };
}

/** Writes result events to the transactional outbox (CloudEvents + protobuf payload). */
export class OutboxResultEventSink implements ResultEventSink {
  constructor(private readonly outbox: Outbox) {}

  async append(tx: Prisma.TransactionClient, event: ResultEvent, meta: EventMeta): Promise<void> {
    await this.outbox.enqueue(tx, toOutboxInput(event, meta));
  }

  async appendMany(
    tx: Prisma.TransactionClient,
    events: readonly ResultEvent[],
    meta: EventMeta,
  ): Promise<void> {
    await this.outbox.enqueueMany(
      tx,
      events.map((e) => toOutboxInput(e, meta)),
    );
  }
}

export function toOutboxInput(event: ResultEvent, meta: EventMeta): OutboxEventInput {
  const r = event.report;
  const c = r.content;
  const { context, occurrence } = domainEventEnvelope(
    'results',
    [
      { odsCode: c.labOdsCode, region: r.labRegion },
      ...(c.requester.odsCode !== c.labOdsCode
        ? [{ odsCode: c.requester.odsCode, region: c.requester.region }]
        : []),
    ],
    { nhsNumber: c.nhsNumber, id: r.id },
    meta,
  );
  const report = resultContext(r);
  switch (event.type) {
    case 'ResultAvailable':
      return ResultAvailableEvent.occurrence({ context, report }, occurrence);
    case 'ResultAmended':
      return ResultAmendedEvent.occurrence(
        {
          context,
          report,
          previousVersion: event.previousVersion,
          previousStatus: event.previousStatus,
          reason: event.reason,
        },
        occurrence,
      );
    case 'ResultAcknowledged':
      return ResultAcknowledgedEvent.occurrence(
        {
          context,
          report,
          acknowledgedVersion: event.acknowledgement.version,
          acknowledgedBySystemId: event.acknowledgement.systemId,
          acknowledgedByUserId: event.acknowledgement.userId ?? '',
          acknowledgedAt: toTimestamp(event.acknowledgement.acknowledgedAt),
          note: event.acknowledgement.note,
        },
        occurrence,
      );
  }
}
