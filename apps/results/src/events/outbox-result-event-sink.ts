import { events, toTimestamp } from '@trellis/contracts';
import {
  domainEventWriter,
  outboxEventSink,
  ownerAndCounterpart,
  withEventFields,
} from '@trellis/events';

import { severityClass, type Interpretation } from '../app/domain/report-content';
import type { Prisma } from '../app/prisma';
import type { ReportView, ResultEvent } from '../app/reports/report-types';
import { ResultEvents } from './result-event-types';

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

/** A result event as its outbox row (CloudEvents attributes + protobuf payload). */
export const toOutboxInput = domainEventWriter({
  service: 'results',
  types: ResultEvents,
  subject: ({ report: r }: ResultEvent) => ({
    organisations: ownerAndCounterpart(
      { odsCode: r.content.labOdsCode, region: r.labRegion },
      { odsCode: r.content.requester.odsCode, region: r.content.requester.region },
    ),
    record: { nhsNumber: r.content.nhsNumber, id: r.id },
    common: { report: resultContext(r) },
  }),
  payloads: {
    ResultAvailable: (_, common) => common,
    ResultAmended: withEventFields('previousVersion', 'previousStatus', 'reason'),
    ResultAcknowledged: (e, common) => ({
      ...common,
      acknowledgedVersion: e.acknowledgement.version,
      acknowledgedBySystemId: e.acknowledgement.systemId,
      acknowledgedByUserId: e.acknowledgement.userId ?? '',
      acknowledgedAt: toTimestamp(e.acknowledgement.acknowledgedAt),
      note: e.acknowledgement.note,
    }),
  },
});

/** Writes result events to the transactional outbox (CloudEvents + protobuf payload). */
export const OutboxResultEventSink = outboxEventSink<ResultEvent, Prisma.TransactionClient>(
  toOutboxInput,
);
