import { randomUUID } from 'node:crypto';

import { events, toTimestamp } from '@trellis/contracts';
import { toCloudEventHeaders, type OutgoingMessage } from '@trellis/events';
import { waitUntil } from '@trellis/testing';

/** An AccessRecorded event as the services' access auditors publish it. */
export function accessRecorded(
  fields: Partial<events.v1.AccessRecorded> & { at: Date; topic: string },
): { message: OutgoingMessage; record: events.v1.AccessRecorded } {
  const { at, topic, ...rest } = fields;
  const record = events.v1.AccessRecorded.fromPartial({
    auditId: randomUUID(),
    recordedAt: toTimestamp(at),
    action: 'R',
    outcome: '0',
    interaction: 'GET /fhir/Patient/:id',
    systemId: 'demo-gp-riverside',
    odsCode: 'Y12345',
    region: 'north-east',
    resourceType: 'Patient',
    sourceService: 'gateway',
    traceId: randomUUID().replace(/-/g, ''),
    requiredScope: 'system/Patient.r',
    ...rest,
  });
  return {
    record,
    message: {
      topic,
      key: record.patientNhsNumber || record.systemId,
      value: events.v1.AccessRecorded.encode(record).finish(),
      headers: toCloudEventHeaders({
        id: record.auditId,
        source: `/trellis/${record.sourceService}`,
        type: 'uk.nhs.trellis.audit.AccessRecorded.v1',
        time: at.toISOString(),
        subject: record.patientNhsNumber || record.systemId,
        dataschema: 'proto:trellis.events.v1.AccessRecorded',
        odscode: record.odsCode,
        region: record.region,
      }),
    },
  };
}

/** Polls until `ok` resolves true (condition-based, the timeout only ends a hung test). */
export function until(what: string, ok: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  return waitUntil(what, ok, { timeoutMs });
}
