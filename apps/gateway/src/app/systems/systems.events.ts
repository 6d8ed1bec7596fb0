import { events } from '@trellis/contracts';
import { eventActor, type ActingSystem } from '@trellis/events';

import { type SystemRow } from './systems.repository';

const { ConnectedSystemChanged, ConnectedSystemState, ConnectedSystemChange } = events.v1;

export const SYSTEM_TOPIC = 'trellis.gateway.system.v1';
export const SYSTEM_CHANGED_TYPE = 'uk.nhs.trellis.gateway.ConnectedSystemChanged.v1';
export const SYSTEM_CHANGED_SCHEMA = 'proto:trellis.events.v1.ConnectedSystemChanged';

export type SystemChangeKind =
  | 'REGISTERED'
  | 'SCOPES_UPDATED'
  | 'SUSPENDED'
  | 'REACTIVATED'
  | 'KEYS_ROTATED'
  | 'PRODUCT_VERSION_ASSIGNED'
  | 'WRITES_RESTRICTED'
  | 'WRITES_RESTORED';

const CHANGE_ENUM: Record<SystemChangeKind, events.v1.ConnectedSystemChange> = {
  REGISTERED: ConnectedSystemChange.CONNECTED_SYSTEM_CHANGE_REGISTERED,
  SCOPES_UPDATED: ConnectedSystemChange.CONNECTED_SYSTEM_CHANGE_SCOPES_UPDATED,
  SUSPENDED: ConnectedSystemChange.CONNECTED_SYSTEM_CHANGE_SUSPENDED,
  REACTIVATED: ConnectedSystemChange.CONNECTED_SYSTEM_CHANGE_REACTIVATED,
  KEYS_ROTATED: ConnectedSystemChange.CONNECTED_SYSTEM_CHANGE_KEYS_ROTATED,
  PRODUCT_VERSION_ASSIGNED: ConnectedSystemChange.CONNECTED_SYSTEM_CHANGE_PRODUCT_VERSION_ASSIGNED,
  WRITES_RESTRICTED: ConnectedSystemChange.CONNECTED_SYSTEM_CHANGE_WRITES_RESTRICTED,
  WRITES_RESTORED: ConnectedSystemChange.CONNECTED_SYSTEM_CHANGE_WRITES_RESTORED,
};

/** Outbox input shape (structurally @trellis/events OutboxEventInput). */
export interface SystemEventInput {
  topic: string;
  key: string;
  type: string;
  subject: string;
  odsCode: string;
  region: string;
  dataschema: string;
  payload: Uint8Array;
}

export function toTimestamp(d: Date): { seconds: number; nanos: number } {
  const ms = d.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/** The full current state of a system, published on the compacted topic (key = system id). */
export function systemChangedEvent(
  row: SystemRow,
  change: SystemChangeKind,
  actor: string,
  actorSystem: ActingSystem,
  topic: string = SYSTEM_TOPIC,
): SystemEventInput {
  const msg = ConnectedSystemChanged.fromPartial({
    context: {
      organisations: [{ odsCode: row.odsCode, region: row.region }],
      regions: [row.region],
      actor: eventActor(actorSystem),
      occurredAt: toTimestamp(row.changedAt),
    },
    systemId: row.id,
    name: row.name,
    supplier: row.supplier,
    odsCode: row.odsCode,
    region: row.region,
    status:
      row.status === 'active'
        ? ConnectedSystemState.CONNECTED_SYSTEM_STATE_ACTIVE
        : ConnectedSystemState.CONNECTED_SYSTEM_STATE_SUSPENDED,
    allowedScopes: row.allowedScopes,
    version: row.version,
    change: CHANGE_ENUM[change],
    changedBy: actor,
    changedAt: toTimestamp(row.changedAt),
    productVersionId: row.productVersionId,
    writesRestricted: row.writesRestricted,
  });
  return {
    topic,
    key: row.id,
    type: SYSTEM_CHANGED_TYPE,
    subject: row.id,
    odsCode: row.odsCode,
    region: row.region,
    dataschema: SYSTEM_CHANGED_SCHEMA,
    payload: ConnectedSystemChanged.encode(msg).finish(),
  };
}
