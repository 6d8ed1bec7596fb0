import type { ReceivedEvent } from '@trellis/events';

import type { Prisma } from '../app/prisma';
import { subscriptionTopicByEventType } from '../app/subscriptions/topics';
import { domainFactOf, practiceFactOf, type PracticeFact } from './domain-events';
import { StreamsRepository, type Occurrence, type StreamsStore } from './streams.repository';

type Tx = Prisma.TransactionClient;

/** Which subscriber systems may be told of restricted patients' events. */
export interface RestrictedReaders {
  mayReadRestricted(systemId: string): boolean;
}

const STREAMS: StreamsStore = new StreamsRepository();

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
  streams: StreamsStore = STREAMS,
): Promise<void> {
  const practice = practiceFactOf(event);
  if (practice?.nhsNumber) await keepPractice(practice, tx, readers, streams);
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
    const practices = await streams.practicesOf(tx, fact.nhsNumber);
    organisations.push(...practices);
    if (practices.length === 0) await streams.awaitPractice(tx, fact.nhsNumber, occurrence);
  }
  await append({ ...occurrence, organisations }, tx, readers, streams);
}

async function keepPractice(
  practice: PracticeFact,
  tx: Tx,
  readers: RestrictedReaders,
  streams: StreamsStore,
): Promise<void> {
  await streams.setRestricted(tx, practice.nhsNumber, practice.restricted, practice.version);
  if (practice.gpOdsCode) {
    await streams.keepPractice(tx, practice.nhsNumber, practice.gpOdsCode, practice.version);
    // results that came before this news now reach the practice
    for (const w of await streams.takeAwaiting(tx, practice.nhsNumber))
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
        streams,
      );
  } else await streams.forgetPractice(tx, practice.nhsNumber);
  if (practice.supersededNhsNumber) await streams.forgetPractice(tx, practice.supersededNhsNumber);
}

/**
 * Appends one event to the stream of each concerned subscription (next number each); for a
 * restricted patient, only to subscriptions of systems that may read restricted records.
 */
async function append(
  o: Occurrence,
  tx: Tx,
  readers: RestrictedReaders,
  streams: StreamsStore,
): Promise<void> {
  if (o.organisations.length === 0) return;
  if (!(await streams.isRestricted(tx, o.nhsNumber))) {
    await streams.append(tx, o, undefined);
    return;
  }
  const owners = (await streams.concernedOwners(tx, o)).filter((id) =>
    readers.mayReadRestricted(id),
  );
  if (owners.length > 0) await streams.append(tx, o, owners);
}
