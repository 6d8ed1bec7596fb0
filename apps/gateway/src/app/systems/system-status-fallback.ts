import { type SystemStatusFallback } from '@trellis/auth';
import { organisationByOdsCode } from '@trellis/service-kit';

import { type PrismaClient } from '../../generated/prisma/client';

/**
 * The gateway's suspension check when its feed cannot be trusted: the registry table it owns.
 * The change mark (row count and version sum: every change bumps a version) is read every 200 ms;
 * after a change, suspensions are read from the table until the system topic's events have left
 * the outbox (a Kafka outage keeps them there) and the feed has had time to deliver them.
 */
export function gatewayStatusFallback(
  prisma: PrismaClient,
  systemTopic: string,
): SystemStatusFallback {
  return {
    ttlMs: 1_000,
    markTtlMs: 200,
    settleMs: 5_000,
    async lookup(systemId) {
      const row = await prisma.connectedSystem.findUnique({
        where: { id: systemId },
        select: {
          id: true,
          status: true,
          version: true,
          writesRestricted: true,
          odsCode: true,
          region: true,
        },
      });
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
    async changeMark() {
      const [row] = await prisma.$queryRaw<Array<{ mark: string }>>`
        SELECT count(*) || ':' || coalesce(sum(version), 0) AS mark FROM connected_systems`;
      return row?.mark ?? '';
    },
    async unpublished() {
      const [row] = await prisma.$queryRaw<Array<{ unpublished: boolean }>>`
        SELECT EXISTS (
          SELECT 1 FROM outbox_events WHERE sent_at IS NULL AND topic = ${systemTopic}
        ) AS unpublished`;
      return row?.unpublished === true;
    },
  };
}
