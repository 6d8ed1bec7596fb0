import type { Resource } from '@medplum/fhirtypes';

import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { FocusReader } from './focus-reader';
import type { SubscriberAccess } from './subscriber-access';

/** The FocusReader full-resource `$events` reads with (null: the deployment has no gateway URL). */
export const FOCUS_READER = Symbol('notifications.focus-reader');
/** The subscriber's standing from the system registry's feed (RegistrySubscriberAccess). */
export const SUBSCRIBER_ACCESS = Symbol('notifications.subscriber-access');

/** Focus reads of one `$events` page in flight at once (each is one audited FHIR read). */
const READS_IN_FLIGHT = 4;

/**
 * The foci of a `full-resource` `$events` page, read as a push delivery reads them (issue 21):
 * the subscriber's standing is judged first (a subscription that may not be served gets id-only
 * entries), then each focus is read at the gateway's FHIR door as the subscriber system. A refused
 * read leaves that entry id-only; a read that could not be made fails the call (UNAVAILABLE), so
 * the caller retries rather than taking a silently thinner page.
 */
export async function readEventFoci<E extends { focus: string }>(
  sub: { ownerSystemId: string; topic: string },
  events: readonly E[],
  access: SubscriberAccess,
  reader: FocusReader | undefined,
): Promise<Array<Resource | undefined>> {
  if (!reader)
    throw NotificationsError.invalid([
      {
        field: 'content',
        rule: 'subscription.payload-unsupported',
        message: 'full-resource is not served by this deployment',
      },
    ]);
  if (access.verdict(sub).kind !== 'allowed') return events.map(() => undefined);
  const scopes = access.readScopesOf(sub.ownerSystemId);
  const foci: Array<Resource | undefined> = new Array<Resource | undefined>(events.length);
  let next = 0;
  const lane = async () => {
    while (next < events.length) {
      const at = next++;
      const read = await reader.read(sub.ownerSystemId, scopes, (events[at] as E).focus);
      if (read.kind === 'failed')
        throw new NotificationsError(NotificationsErrorCode.FocusUnavailable, read.problem);
      foci[at] = read.kind === 'resource' ? read.resource : undefined;
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, events.length) }, lane));
  return foci;
}
