import { type Caller } from '@trellis/auth';
import { events } from '@trellis/contracts';
import { eventActor } from '@trellis/events';

import { type GatewayOutboxEvent } from '../audit/gateway-outbox';
import { toTimestamp } from '../systems/systems.events';
import { type SystemRow } from '../systems/systems.repository';

const { RegionalAuthorityActed, ConnectedSystemState } = events.v1;

export const REGIONAL_ACTED_TYPE = 'uk.nhs.trellis.gateway.RegionalAuthorityActed.v1';
export const REGIONAL_ACTED_SCHEMA = 'proto:trellis.events.v1.RegionalAuthorityActed';

/** A region's own stream (the router's topics; the gateway writes its authority acts there). */
export const regionStream = (region: string, prefix = 'trellis.region.'): string =>
  `${prefix}${region}.v1`;

export interface RegionalAct {
  caller: Caller;
  /** system id (and signed-in user) of whoever acted. */
  actor: string;
  region: string;
  action: string;
  reason: string;
  nationalOverride: boolean;
  lifecycle?: { from: string; to: string };
}

/** `RegionalAuthorityActed` about a system, as an outbox event on the region's own stream. */
export function regionalActedEvent(
  act: RegionalAct,
  after: SystemRow,
  topicPrefix: string,
): GatewayOutboxEvent {
  const { caller, region } = act;
  const msg = RegionalAuthorityActed.fromPartial({
    context: {
      organisations: [{ odsCode: after.odsCode, region }],
      regions: [region],
      actor: eventActor(caller),
      occurredAt: toTimestamp(after.changedAt),
    },
    region,
    systemId: after.id,
    action: act.action,
    reason: act.reason,
    actor: act.actor,
    nationalOverride: act.nationalOverride,
    lifecycleFrom: act.lifecycle?.from ?? '',
    lifecycleTo: act.lifecycle?.to ?? '',
    status:
      after.status === 'active'
        ? ConnectedSystemState.CONNECTED_SYSTEM_STATE_ACTIVE
        : ConnectedSystemState.CONNECTED_SYSTEM_STATE_SUSPENDED,
    version: after.version,
  });
  return {
    topic: regionStream(region, topicPrefix),
    key: after.id,
    type: REGIONAL_ACTED_TYPE,
    subject: after.id,
    odsCode: after.odsCode,
    region,
    dataschema: REGIONAL_ACTED_SCHEMA,
    payload: RegionalAuthorityActed.encode(msg).finish(),
  };
}
