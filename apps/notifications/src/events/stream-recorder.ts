import type { ReceivedEvent } from '@trellis/events';

import { RECORDED_CHANNEL } from '../app/delivery/wake-listener';
import type { Prisma } from '../app/prisma';
import { subscriptionTopicByEventType } from '../app/subscriptions/topics';
import { domainFactOf, practiceFactOf, type PracticeFact } from './domain-events';

type Tx = Prisma.TransactionClient;

/** Which subscriber systems may be told of restricted patients' events. */
export interface RestrictedReaders {
  mayReadRestricted(systemId: string): boolean;
}

interface Occurrence {
  topicUrl: string;
  organisations: string[];
  nhsNumber: string;
  eventId: string;
  eventType: string;
  focus: string;
  occurredAt: Date;
}

/**
 * The inbox handler: keeps the registered practices from identity events and appends each domain
 * event to the stream of every live subscription it concerns, with the next event number — in the
 * inbox transaction, so an event is recorded exactly once per subscription even when redelivered.
 * A subscription is concerned when its topic is raised by the event type, its owner's
 * organisation is named by the event (results: or is the patient's registered practice), and its
 * patient filter (if any) is this patient. A result whose patient's practice is not known yet
 * waits (awaiting_practice) for identity's news, then reaches the practice. An event about a
 * patient whose record identity says is restricted is recorded only for subscribers whose system
 * may read restricted records (issue 21): even an id-only notification would tell the others that
 * something happened to that patient.
 */
export async function recordEvent(
  event: ReceivedEvent,
  tx: Tx,
  readers: RestrictedReaders,
): Promise<void> {
  const practice = practiceFactOf(event);
  if (practice?.nhsNumber) await keepPractice(practice, tx, readers);
  const topic = subscriptionTopicByEventType(event.type);
  const fact = domainFactOf(event);
  if (!topic || !fact) return;
  const organisations = [...fact.organisations];
  const occurrence = {
    topicUrl: topic.url,
    nhsNumber: fact.nhsNumber,
    eventId: event.id,
    eventType: event.type,
    focus: fact.focus,
    occurredAt: fact.occurredAt,
  };
  if (fact.toRegisteredPractice && fact.nhsNumber) {
    const rows = await tx.$queryRaw<Array<{ gp: string }>>`
      SELECT gp_ods_code AS gp FROM patient_practices WHERE nhs_number = ${fact.nhsNumber}`;
    for (const r of rows) organisations.push(r.gp);
    if (rows.length === 0)
      await tx.$executeRaw`
        INSERT INTO awaiting_practice (nhs_number, source_event_id, source_event_type, topic, focus,
          occurred_at)
        VALUES (${fact.nhsNumber}, ${event.id}, ${event.type}, ${topic.url}, ${fact.focus},
          ${fact.occurredAt})
        ON CONFLICT DO NOTHING`;
  }
  await append({ ...occurrence, organisations }, tx, readers);
}

async function keepPractice(
  practice: PracticeFact,
  tx: Tx,
  readers: RestrictedReaders,
): Promise<void> {
  if (practice.restricted)
    await tx.$executeRaw`
      INSERT INTO restricted_patients (nhs_number, restricted, version, updated_at)
      VALUES (${practice.nhsNumber}, true, ${practice.version}, now())
      ON CONFLICT (nhs_number) DO UPDATE SET restricted = true, version = EXCLUDED.version,
        updated_at = now()
      WHERE restricted_patients.version <= EXCLUDED.version`;
  else
    await tx.$executeRaw`
      UPDATE restricted_patients SET restricted = false, version = ${practice.version},
        updated_at = now()
      WHERE nhs_number = ${practice.nhsNumber} AND version <= ${practice.version}`;
  if (practice.gpOdsCode) {
    await tx.$executeRaw`
      INSERT INTO patient_practices (nhs_number, gp_ods_code, version, updated_at)
      VALUES (${practice.nhsNumber}, ${practice.gpOdsCode}, ${practice.version}, now())
      ON CONFLICT (nhs_number) DO UPDATE SET gp_ods_code = EXCLUDED.gp_ods_code,
        version = EXCLUDED.version, updated_at = now()
      WHERE patient_practices.version <= EXCLUDED.version`;
    // results that came before this news now reach the practice
    const waiting = await tx.$queryRaw<
      Array<{ id: string; type: string; topic: string; focus: string; at: Date }>
    >`
      DELETE FROM awaiting_practice WHERE nhs_number = ${practice.nhsNumber}
      RETURNING source_event_id AS id, source_event_type AS type, topic, focus, occurred_at AS at`;
    for (const w of waiting)
      await append(
        {
          topicUrl: w.topic,
          organisations: [practice.gpOdsCode],
          nhsNumber: practice.nhsNumber,
          eventId: w.id,
          eventType: w.type,
          focus: w.focus,
          occurredAt: w.at,
        },
        tx,
        readers,
      );
  } else
    await tx.$executeRaw`DELETE FROM patient_practices WHERE nhs_number = ${practice.nhsNumber}`;
  if (practice.supersededNhsNumber)
    await tx.$executeRaw`
      DELETE FROM patient_practices WHERE nhs_number = ${practice.supersededNhsNumber}`;
}

/** Whether identity last said this patient's record is restricted. */
export async function isRestricted(db: Pick<Tx, '$queryRaw'>, nhsNumber: string): Promise<boolean> {
  const rows = await db.$queryRaw<Array<{ restricted: boolean }>>`
    SELECT restricted FROM restricted_patients WHERE nhs_number = ${nhsNumber}`;
  return rows[0]?.restricted === true;
}

/**
 * Appends one event to the stream of each concerned subscription (next number each); for a
 * restricted patient, only to subscriptions of systems that may read restricted records.
 */
async function append(o: Occurrence, tx: Tx, readers: RestrictedReaders): Promise<void> {
  if (o.organisations.length === 0) return;
  const restricted = await isRestricted(tx, o.nhsNumber);
  let owners: string[] = [];
  if (restricted) {
    const candidates = await tx.$queryRaw<Array<{ owner: string }>>`
      SELECT DISTINCT s.owner_system_id AS owner FROM subscriptions s
      WHERE s.topic = ${o.topicUrl} AND s.deleted_at IS NULL AND s.status <> 'off'
        AND s.owner_ods_code = ANY(${o.organisations}::text[])
        AND (s.patient_nhs_number = '' OR s.patient_nhs_number = ${o.nhsNumber})`;
    owners = candidates.map((c) => c.owner).filter((id) => readers.mayReadRestricted(id));
    if (owners.length === 0) return;
  }
  // rows locked in id order (as the delivery worker's round writes lock them): no deadlock
  const appended = await tx.$executeRaw`
    WITH concerned AS (
      SELECT s.id FROM subscriptions s
      WHERE s.topic = ${o.topicUrl}
        AND s.deleted_at IS NULL
        AND s.status <> 'off'
        AND s.owner_ods_code = ANY(${o.organisations}::text[])
        AND (s.patient_nhs_number = '' OR s.patient_nhs_number = ${o.nhsNumber})
        AND (NOT ${restricted}::boolean OR s.owner_system_id = ANY(${owners}::text[]))
        AND NOT EXISTS (SELECT 1 FROM notification_events e
                        WHERE e.subscription_id = s.id AND e.source_event_id = ${o.eventId})
      ORDER BY s.id FOR UPDATE
    ), bumped AS (
      UPDATE subscriptions s SET event_count = s.event_count + 1
      FROM concerned c WHERE s.id = c.id
      RETURNING s.id, s.event_count
    )
    INSERT INTO notification_events (subscription_id, event_number, notification_id,
      source_event_id, source_event_type, focus, patient, occurred_at)
    SELECT b.id, b.event_count, gen_random_uuid(), ${o.eventId}, ${o.eventType}, ${o.focus},
      ${`Patient/${o.nhsNumber}`}, ${o.occurredAt}
    FROM bumped b`;
  // wakes the delivery workers on commit (PostgreSQL folds repeats within one transaction)
  if (appended > 0) await tx.$executeRaw`SELECT pg_notify(${RECORDED_CHANNEL}, current_schema())`;
}
