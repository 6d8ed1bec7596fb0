import { Inject, Injectable } from '@nestjs/common';

import { type PrismaClient } from '../../generated/prisma/client';
import { GatewayPrismaService } from '../database/gateway-prisma.service';

/** What the suspension check reads of a system in the registry table. */
export interface SystemStatusRow {
  id: string;
  status: string;
  version: number;
  writesRestricted: boolean;
  odsCode: string;
  region: string;
}

/**
 * The registry as the suspension fallback reads it: one system's status, the table's change mark
 * and whether the system topic's events still wait in the outbox.
 */
@Injectable()
export class SystemStatusRepository {
  constructor(@Inject(GatewayPrismaService) private readonly prisma: PrismaClient) {}

  status(systemId: string): Promise<SystemStatusRow | null> {
    return this.prisma.connectedSystem.findUnique({
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
  }

  /** Row count and version sum: every change of a system bumps its version. */
  async changeMark(): Promise<string> {
    const [row] = await this.prisma.$queryRaw<Array<{ mark: string }>>`
      SELECT count(*) || ':' || coalesce(sum(version), 0) AS mark FROM connected_systems`;
    return row?.mark ?? '';
  }

  /** True while an event of `topic` has not left the outbox. */
  async unpublished(topic: string): Promise<boolean> {
    const [row] = await this.prisma.$queryRaw<Array<{ unpublished: boolean }>>`
      SELECT EXISTS (
        SELECT 1 FROM outbox_events WHERE sent_at IS NULL AND topic = ${topic}
      ) AS unpublished`;
    return row?.unpublished === true;
  }
}
