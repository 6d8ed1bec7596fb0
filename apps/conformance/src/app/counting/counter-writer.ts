import { events } from '@trellis/contracts';
import { PoisonMessageError, type ReceivedEvent } from '@trellis/events';

import { deltasOfAccess, deltasOfViolation, type CounterDelta } from './counters';

export const ACCESS_RECORDED_TYPE = 'uk.nhs.trellis.audit.AccessRecorded.v1';
export const CONFORMANCE_VIOLATION_TYPE = 'uk.nhs.trellis.gateway.ConformanceViolation.v1';

/** The counter deltas of a run of events (unknown types contribute nothing). */
export function deltasOfEvents(
  batch: readonly ReceivedEvent[],
  chokepoint: string,
): CounterDelta[] {
  const deltas: CounterDelta[] = [];
  for (const event of batch) {
    const fallback = new Date(event.time || event.timestamp || Date.now());
    try {
      if (event.type === ACCESS_RECORDED_TYPE) {
        deltas.push(
          ...deltasOfAccess(events.v1.AccessRecorded.decode(event.data), chokepoint, fallback),
        );
      } else if (event.type === CONFORMANCE_VIOLATION_TYPE) {
        deltas.push(
          ...deltasOfViolation(events.v1.ConformanceViolation.decode(event.data), fallback),
        );
      }
    } catch (err) {
      throw new PoisonMessageError(`undecodable ${event.type} payload (event ${event.id})`, {
        cause: err,
      });
    }
  }
  return deltas;
}
