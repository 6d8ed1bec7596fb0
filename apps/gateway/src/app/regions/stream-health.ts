import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createEventBus, type EventAdmin, type PartitionLag } from '@trellis/events';
import { DomainError } from '@trellis/service-kit';

import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { regionStream } from './regional.service';

export const REGION_STREAM_ADMIN = Symbol('REGION_STREAM_ADMIN');

export const regionStreamAdminProvider = {
  provide: REGION_STREAM_ADMIN,
  useFactory: (config: GatewayConfig): EventAdmin =>
    createEventBus({ clientId: 'gateway-regions', ...config.kafka }).admin(),
  inject: [GATEWAY_CONFIG],
};

export interface RegionSubscriber {
  groupId: string;
  lag: number;
  partitions: PartitionLag[];
}

export interface RegionStreamHealth {
  topic: string;
  subscribers: RegionSubscriber[];
  totalLag: number;
  asOf: Date;
}

/**
 * A region's stream health (issue 18): the consumer-group lag of the region's own subscribers,
 * i.e. the groups its principal may use (`region-<region>.*`, the broker ACL's prefix) that have
 * committed offsets on the region's topic. A group that never committed there is not a subscriber.
 */
@Injectable()
export class RegionStreamHealthService implements OnApplicationShutdown {
  constructor(
    @Inject(REGION_STREAM_ADMIN) private readonly admin: EventAdmin,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async health(region: string): Promise<RegionStreamHealth> {
    const topic = regionStream(region, this.config.regionTopicPrefix);
    const prefix = `region-${region}.`;
    if (!this.admin.listGroups)
      throw new DomainError(
        'gateway',
        'STREAM_HEALTH_UNSUPPORTED',
        'UNIMPLEMENTED',
        'this event bus cannot list consumer groups',
      );
    const groups = (await this.admin.listGroups()).filter((g) => g.startsWith(prefix));
    const subscribers: RegionSubscriber[] = [];
    for (const groupId of groups) {
      const partitions = await this.admin.groupLag(groupId, [topic]);
      if (!partitions.some((p) => BigInt(p.committed) >= 0n)) continue;
      subscribers.push({ groupId, lag: partitions.reduce((n, p) => n + p.lag, 0), partitions });
    }
    return {
      topic,
      subscribers,
      totalLag: subscribers.reduce((n, s) => n + s.lag, 0),
      asOf: new Date(),
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin.disconnect();
  }
}
