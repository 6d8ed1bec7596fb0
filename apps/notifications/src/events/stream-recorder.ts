import { subscriptionTopicByEventType } from '../app/subscriptions/topics';
import type { Prisma } from '../app/prisma';
import { domainFactOf, practiceFactOf } from './domain-events';
import type { ReceivedEvent } from '@trellis/events';

/**
 * The inbox handler: keeps the registered practices from identity events and appends each domain
 * event to the stream of every live subscription it concerns, with the next event number — in the
 * inbox transaction, so an event is recorded exactly once per subscription even when redelivered.
 * A subscription is concerned when its topic is raised by the event type, its owner's
 * organisation is named by the event (results: or is the patient's registered practice), and its
 * patient filter (if any) is this patient.
 */
export async function recordEvent(
  event: ReceivedEvent,
  tx: Prisma.TransactionClient,
): Promise<void> {
  const practice = practiceFactOf(event);
  if (practice?.nhsNumber) {
    if (practice.gpOdsCode)
      await tx.$executeRaw`
        INSERT INTO patient_practices (nhs_number, gp_ods_code, version, updated_at)
        VALUES (${practice.nhsNumber}, ${practice.gpOdsCode}, ${practice.version}, now())
        ON CONFLICT (nhs_number) DO UPDATE SET gp_ods_code = EXCLUDED.gp_ods_code,
          version = EXCLUDED.version, updated_at = now()
        WHERE patient_practices.version <= EXCLUDED.version`;
    else
      await tx.$executeRaw`DELETE FROM patient_practices WHERE nhs_number = ${practice.nhsNumber}`;
    if (practice.supersededNhsNumber)
      await tx.$executeRaw`DELETE FROM patient_practices WHERE nhs_number = ${practice.supersededNhsNumber}`;
  }
  const topic = subscriptionTopicByEventType(event.type);
  const fact = domainFactOf(event);
  if (!topic || !fact) return;
  const organisations = [...fact.organisations];
  if (fact.toRegisteredPractice && fact.nhsNumber) {
    const rows = await tx.$queryRaw<Array<{ gp: string }>>`
      SELECT gp_ods_code AS gp FROM patient_practices WHERE nhs_number = ${fact.nhsNumber}`;
    for (const r of rows) organisations.push(r.gp);
  }
  if (organisations.length === 0) return;
  await tx.$executeRaw`
    WITH bumped AS (
      UPDATE subscriptions s SET event_count = s.event_count + 1
      WHERE s.topic = ${topic.url}
        AND s.deleted_at IS NULL
        AND s.status <> 'off'
        AND s.owner_ods_code = ANY(${organisations}::text[])
        AND (s.patient_nhs_number = '' OR s.patient_nhs_number = ${fact.nhsNumber})
        AND NOT EXISTS (SELECT 1 FROM notification_events e
                        WHERE e.subscription_id = s.id AND e.source_event_id = ${event.id})
      RETURNING s.id, s.event_count
    )
    INSERT INTO notification_events (subscription_id, event_number, notification_id,
      source_event_id, source_event_type, focus, patient, occurred_at)
    SELECT b.id, b.event_count, gen_random_uuid(), ${event.id}, ${event.type}, ${fact.focus},
      ${`Patient/${fact.nhsNumber}`}, ${fact.occurredAt}
    FROM bumped b`;
}
