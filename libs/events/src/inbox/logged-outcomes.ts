import type { ReceivedEvent } from '../cloudevents';
import type { EventsLogger } from '../logger';
import type { RawSqlClient } from '../sql-client';

/** The log line of a handled event's outcome: its level and message (none: not logged). */
export type OutcomeLine = readonly [level: 'debug' | 'info' | 'warn', message: string] | undefined;

/**
 * An inbox consumer's `handle` that logs what the domain's handler did with each event: the
 * outcome's fields with the event's id and type, at the level `lineOf` gives it.
 */
export function loggedOutcomes<Tx extends RawSqlClient, O extends object>(
  handle: (event: ReceivedEvent, tx: Tx) => Promise<O>,
  logger: EventsLogger,
  lineOf: (outcome: O) => OutcomeLine,
): (event: ReceivedEvent, tx: Tx) => Promise<void> {
  return async (event, tx) => {
    const outcome = await handle(event, tx);
    const line = lineOf(outcome);
    if (line) logger[line[0]]({ event_id: event.id, ce_type: event.type, ...outcome }, line[1]);
  };
}
