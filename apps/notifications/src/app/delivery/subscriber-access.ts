import {
  readOnlyScopes,
  scopeSatisfies,
  TRELLIS_SCOPES,
  type SystemStatusRegistry,
} from '@trellis/auth';
import { subscriptionTopicByUrl } from '@trellis/fhir';

const SYSTEM_READ = /^system\/(\*|[A-Z][A-Za-z]+)\.(r|s|rs)$/;

/** What the delivery worker may do for a subscription, judged before every notification. */
export type AccessVerdict =
  | { kind: 'allowed'; mayReadRestricted: boolean }
  /** Nothing is sent now; the same event is tried again later (status `error`, with the reason). */
  | { kind: 'hold'; reason: string }
  /** Nothing is sent, ever: the subscription goes `off` with the reason (shown in `$status`). */
  | { kind: 'off'; reason: string };

/** The subscriber's standing, as the delivery worker needs it. */
export interface SubscriberAccess {
  /** False until the registry's replay is complete: the worker delivers nothing meanwhile. */
  readonly ready: boolean;
  verdict(sub: { ownerSystemId: string; topic: string }): AccessVerdict;
  /** The registry allows the system trellis/restricted.read (restricted patients' events). */
  mayReadRestricted(systemId: string): boolean;
  /**
   * The read part of the system's allowed scopes (system-level resource reads and
   * trellis/restricted.read): a full-resource focus is read with these, as the system's own read
   * could be (a practice's read of a result asks identity, which needs Patient.r).
   */
  readScopesOf(systemId: string): string[];
}

/**
 * The subscriber's standing from the system registry's feed (`trellis.gateway.system.v1`, the
 * same suspension feed every service's auth guard follows): a suspended system, or one whose
 * allowed scopes no longer include the topic's read scope, may not be told anything, so its
 * subscription is turned off (it subscribes again once it may). A system the feed has not named
 * yet (a registration still on its way) is held, never served.
 */
export class RegistrySubscriberAccess implements SubscriberAccess {
  constructor(private readonly registry: SystemStatusRegistry) {}

  get ready(): boolean {
    return this.registry.ready;
  }

  verdict(sub: { ownerSystemId: string; topic: string }): AccessVerdict {
    const status = this.registry.statusOf(sub.ownerSystemId);
    if (status === undefined)
      return {
        kind: 'hold',
        reason: 'the subscriber system is not known to the system registry feed yet',
      };
    if (status === 'suspended')
      return {
        kind: 'off',
        reason:
          'the subscriber system was suspended: notifications stopped (subscribe again once reinstated)',
      };
    const topic = subscriptionTopicByUrl(sub.topic);
    if (!topic) return { kind: 'off', reason: `the topic ${sub.topic} is no longer served` };
    const allowed = this.registry.allowedScopesOf(sub.ownerSystemId) ?? [];
    if (!scopeSatisfies(allowed, topic.readScope))
      return {
        kind: 'off',
        reason: `the subscriber system no longer holds ${topic.readScope}: notifications stopped`,
      };
    return { kind: 'allowed', mayReadRestricted: this.mayReadRestricted(sub.ownerSystemId) };
  }

  readScopesOf(systemId: string): string[] {
    return readOnlyScopes(this.registry.allowedScopesOf(systemId) ?? []).filter(
      (s) => s === TRELLIS_SCOPES.restrictedRead || SYSTEM_READ.test(s),
    );
  }

  mayReadRestricted(systemId: string): boolean {
    if (this.registry.statusOf(systemId) !== 'active') return false;
    const allowed = this.registry.allowedScopesOf(systemId) ?? [];
    return scopeSatisfies(allowed, TRELLIS_SCOPES.restrictedRead);
  }
}
