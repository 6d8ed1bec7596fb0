import { type SystemStatusFallback } from '@trellis/auth';
import { organisationByOdsCode } from '@trellis/service-kit';

import { type SystemStatusRepository } from './system-status.repository';

/**
 * The gateway's suspension check when its feed cannot be trusted: the registry table it owns.
 * The change mark (row count and version sum: every change bumps a version) is read every 200 ms;
 * after a change, suspensions are read from the table until the system topic's events have left
 * the outbox (a Kafka outage keeps them there) and the feed has had time to deliver them.
 */
export function gatewayStatusFallback(
  registry: Pick<SystemStatusRepository, 'status' | 'changeMark' | 'unpublished'>,
  systemTopic: string,
): SystemStatusFallback {
  return {
    ttlMs: 1_000,
    markTtlMs: 200,
    settleMs: 5_000,
    async lookup(systemId) {
      const row = await registry.status(systemId);
      if (!row) return undefined;
      return {
        systemId: row.id,
        // anything but active is suspended (fail closed), as the feed's decoder
        status: row.status === 'active' ? 'active' : 'suspended',
        version: row.version,
        writesRestricted: row.writesRestricted,
        region: organisationByOdsCode(row.odsCode)?.region ?? row.region,
      };
    },
    changeMark: () => registry.changeMark(),
    unpublished: () => registry.unpublished(systemTopic),
  };
}
