import { events } from '@trellis/contracts';
import { organisationByOdsCode } from '@trellis/service-kit';

import {
  AccessAuditor,
  type AccessRecordedFields,
  type AuditGroupCommitOptions,
  type AuditOutboxPort,
} from './access-auditor';
import { KafkaSystemStatusFeed, type KafkaConnection } from './kafka-status-feed';
import { type SystemStatusUpdate } from './system-status';

const { ConnectedSystemChanged, ConnectedSystemState, AccessRecorded } = events.v1;

/** Decodes a trellis.gateway.system.v1 value (ConnectedSystemChanged) into a status update. */
export function decodeSystemStatus(value: Uint8Array): SystemStatusUpdate | undefined {
  const msg = ConnectedSystemChanged.decode(value);
  if (!msg.systemId) return undefined;
  // Anything but an explicit ACTIVE counts as suspended (fail closed on unknown states).
  const status =
    msg.status === ConnectedSystemState.CONNECTED_SYSTEM_STATE_ACTIVE ? 'active' : 'suspended';
  return {
    systemId: msg.systemId,
    status,
    version: Number(msg.version),
    ...(msg.writesRestricted ? { writesRestricted: true } : {}),
    ...(msg.productVersionId ? { productVersionId: msg.productVersionId } : {}),
    allowedScopes: [...msg.allowedScopes],
    // the organisation's region in the reference data, else the registry's claim (as the gateway)
    ...(msg.odsCode || msg.region
      ? { region: organisationByOdsCode(msg.odsCode)?.region ?? msg.region }
      : {}),
  };
}

/** Encodes an access audit record as trellis.events.v1.AccessRecorded. */
export function encodeAccessRecorded(fields: AccessRecordedFields): Uint8Array {
  return AccessRecorded.encode(AccessRecorded.fromPartial(fields)).finish();
}

/** The Kafka suspension feed every service registers (see README §6). */
export function createSystemStatusFeed(options: {
  service: string;
  connection: KafkaConnection;
  topic?: string;
  onError?: (err: unknown) => void;
}): KafkaSystemStatusFeed {
  return new KafkaSystemStatusFeed({
    service: options.service,
    connection: options.connection,
    decode: decodeSystemStatus,
    ...(options.topic ? { topic: options.topic } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
}

/** The access auditor writing through the service's outbox (see README §5). */
export function createAccessAuditor<Tx>(options: {
  service: string;
  db: Tx;
  outbox: AuditOutboxPort<Tx>;
  topic?: string;
  groupCommit?: AuditGroupCommitOptions | false;
}): AccessAuditor<Tx> {
  return new AccessAuditor<Tx>({ ...options, encode: encodeAccessRecorded });
}
