import { RECORDED_CHANNEL } from '../app/delivery/wake-listener';
import type { Prisma } from '../app/prisma';

type Tx = Prisma.TransactionClient;

/** One event as it joins subscription streams. */
export interface Occurrence {
  topicUrl: string;
  organisations: string[];
  nhsNumber: string;
  eventId: string;
  eventType: string;
  focus: string;
  occurredAt: Date;
}

/** An event of a patient whose practice was not known yet, waiting for identity's news. */
export interface AwaitingEvent {
  id: string;
  type: string;
  topic: string;
  focus: string;
  at: Date;
}

/**
 * The streams' storage as the inbox handler writes it: the patients' practices and restriction,
 * the events waiting for a practice, and the subscription streams. Every method takes the inbox
 * transaction (the handler runs once per event: no repository object per event).
 */
export interface StreamsStore {
  practicesOf(tx: Tx, nhsNumber: string): Promise<string[]>;
  awaitPractice(tx: Tx, nhsNumber: string, o: Omit<Occurrence, 'organisations'>): Promise<void>;
  /** Records identity's word on the restriction (versions only move forward). */
  setRestricted(tx: Tx, nhsNumber: string, restricted: boolean, version: number): Promise<void>;
  /** Records the registered practice (versions only move forward). */
  keepPractice(tx: Tx, nhsNumber: string, gpOdsCode: string, version: number): Promise<void>;
  /** Removes and returns the events that waited for this patient's practice. */
  takeAwaiting(tx: Tx, nhsNumber: string): Promise<AwaitingEvent[]>;
  forgetPractice(tx: Tx, nhsNumber: string): Promise<void>;
  isRestricted(tx: Tx, nhsNumber: string): Promise<boolean>;
  /** The systems owning a live subscription the occurrence concerns. */
  concernedOwners(tx: Tx, o: Occurrence): Promise<string[]>;
  /**
   * Appends the occurrence (next number each) to every concerned subscription not holding it yet
   * — for a restricted patient only those of `owners` — and wakes the delivery workers on commit;
   * how many streams it joined.
   */
  append(tx: Tx, o: Occurrence, restrictedTo: readonly string[] | undefined): Promise<number>;
}

/** The notifications schema's patient_practices, restricted_patients, awaiting_practice, streams. */
export class StreamsRepository implements StreamsStore {
  async practicesOf(tx: Tx, nhsNumber: string): Promise<string[]> {
    const rows = await tx.$queryRaw<Array<{ gp: string }>>`
      SELECT gp_ods_code AS gp FROM patient_practices WHERE nhs_number = ${nhsNumber}`;
    return rows.map((r) => r.gp);
  }

  async awaitPractice(
    tx: Tx,
    nhsNumber: string,
    o: Omit<Occurrence, 'organisations'>,
  ): Promise<void> {
    await tx.$executeRaw`
      INSERT INTO awaiting_practice (nhs_number, source_event_id, source_event_type, topic, focus,
        occurred_at)
      VALUES (${nhsNumber}, ${o.eventId}, ${o.eventType}, ${o.topicUrl}, ${o.focus},
        ${o.occurredAt})
      ON CONFLICT DO NOTHING`;
  }

  async setRestricted(
    tx: Tx,
    nhsNumber: string,
    restricted: boolean,
    version: number,
  ): Promise<void> {
    if (restricted)
      await tx.$executeRaw`
        INSERT INTO restricted_patients (nhs_number, restricted, version, updated_at)
        VALUES (${nhsNumber}, true, ${version}, now())
        ON CONFLICT (nhs_number) DO UPDATE SET restricted = true, version = EXCLUDED.version,
          updated_at = now()
        WHERE restricted_patients.version <= EXCLUDED.version`;
    else
      await tx.$executeRaw`
        UPDATE restricted_patients SET restricted = false, version = ${version},
          updated_at = now()
        WHERE nhs_number = ${nhsNumber} AND version <= ${version}`;
  }

  async keepPractice(tx: Tx, nhsNumber: string, gpOdsCode: string, version: number): Promise<void> {
    await tx.$executeRaw`
      INSERT INTO patient_practices (nhs_number, gp_ods_code, version, updated_at)
      VALUES (${nhsNumber}, ${gpOdsCode}, ${version}, now())
      ON CONFLICT (nhs_number) DO UPDATE SET gp_ods_code = EXCLUDED.gp_ods_code,
        version = EXCLUDED.version, updated_at = now()
      WHERE patient_practices.version <= EXCLUDED.version`;
  }

  takeAwaiting(tx: Tx, nhsNumber: string): Promise<AwaitingEvent[]> {
    return tx.$queryRaw<AwaitingEvent[]>`
      DELETE FROM awaiting_practice WHERE nhs_number = ${nhsNumber}
      RETURNING source_event_id AS id, source_event_type AS type, topic, focus, occurred_at AS at`;
  }

  async forgetPractice(tx: Tx, nhsNumber: string): Promise<void> {
    await tx.$executeRaw`DELETE FROM patient_practices WHERE nhs_number = ${nhsNumber}`;
  }

  isRestricted(tx: Tx, nhsNumber: string): Promise<boolean> {
    return isRestricted(tx, nhsNumber);
  }

  async concernedOwners(tx: Tx, o: Occurrence): Promise<string[]> {
    const candidates = await tx.$queryRaw<Array<{ owner: string }>>`
      SELECT DISTINCT s.owner_system_id AS owner FROM subscriptions s
      WHERE s.topic = ${o.topicUrl} AND s.deleted_at IS NULL AND s.status <> 'off'
        AND s.owner_ods_code = ANY(${o.organisations}::text[])
        AND (s.patient_nhs_number = '' OR s.patient_nhs_number = ${o.nhsNumber})`;
    return candidates.map((c) => c.owner);
  }

  async append(
    tx: Tx,
    o: Occurrence,
    restrictedTo: readonly string[] | undefined,
  ): Promise<number> {
    const restricted = restrictedTo !== undefined;
    const owners = restrictedTo ?? [];
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
    return appended;
  }
}

/** Whether identity last said this patient's record is restricted. */
export async function isRestricted(db: Pick<Tx, '$queryRaw'>, nhsNumber: string): Promise<boolean> {
  const rows = await db.$queryRaw<Array<{ restricted: boolean }>>`
    SELECT restricted FROM restricted_patients WHERE nhs_number = ${nhsNumber}`;
  return rows[0]?.restricted === true;
}
