import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { type Caller } from '@trellis/auth';
import { events } from '@trellis/contracts';
import {
  createInboxConsumer,
  createEventBus,
  PoisonMessageError,
  type InboxConsumer,
  type ReceivedEvent,
} from '@trellis/events';
import { CONFIG } from '@trellis/service-kit';

import { type PrismaClient, type Prisma } from '../../generated/prisma/client';
import { GATEWAY_CONFIG, type GatewayConfig, type GatewayEnv } from '../config/gateway.config';
import { GatewayPrismaService } from '../database/gateway-prisma.service';
import { CertificatesRepository } from '../certification/certificates.repository';
import { SystemsService } from '../systems/systems.service';

const ENFORCED = 'uk.nhs.trellis.conformance.ComplianceEnforced.v1';
const RESTORED = 'uk.nhs.trellis.conformance.ComplianceRestored.v1';
const RETRY_MS = 5_000;

/** The actor recorded on enforcement changes (the policy, not an operator). */
export const COMPLIANCE_ACTOR: Caller = {
  systemId: 'conformance-policy',
  odsCode: 'X26',
  region: 'london',
  scopes: [],
  tokenId: 'compliance',
  expiresAt: 0,
};

function decode<T>(event: ReceivedEvent, codec: { decode(b: Uint8Array): T }): T {
  try {
    return codec.decode(event.data);
  } catch (cause) {
    throw new PoisonMessageError(`undecodable ${event.type} (${event.id})`, { cause });
  }
}

/**
 * Applies the conformance service's decisions: ComplianceEnforced withdraws the write scopes of
 * every system deploying the product version, ComplianceRestored gives them back — in the inbox
 * transaction (exactly once in effect), each change logged and published on the suspension feed,
 * so every gateway and platform replica applies it within seconds. Starts in the background and
 * retries, so a gateway without the topic (yet) still serves.
 */
@Injectable()
export class ComplianceEnforcement implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ComplianceEnforcement');
  private consumer: InboxConsumer | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    @Inject(CONFIG) private readonly env: GatewayEnv,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GatewayPrismaService) private readonly prisma: PrismaClient,
    private readonly systems: SystemsService,
    private readonly certificates: CertificatesRepository,
  ) {}

  onApplicationBootstrap(): void {
    if (this.env.GATEWAY_COMPLIANCE_ENFORCEMENT) void this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.consumer?.stop();
  }

  /** Applies one decision in `tx` (exported for tests and tools). */
  async handle(event: ReceivedEvent, tx: Prisma.TransactionClient): Promise<void> {
    if (event.type === ENFORCED) {
      const e = decode(event, events.v1.ComplianceEnforced);
      const f = e.finding;
      if (!f?.productVersionId) throw new PoisonMessageError(`${event.id}: no product version`);
      const changed = await this.systems.setWritesRestricted(
        tx,
        f.productVersionId,
        true,
        COMPLIANCE_ACTOR,
        `compliance enforcement (${f.policyVersion}): ${f.severity} rate ${f.rate} > ${f.threshold} over ${f.windowMinutes} min`,
      );
      // issue 17: enforcement suspends the version's conformance certificates (same transaction)
      const certificates = await this.certificates
        .joining(tx)
        .setSuspended(
          f.productVersionId,
          true,
          `compliance enforcement (${f.policyVersion}): ${f.severity} rate ${f.rate} > ${f.threshold}`,
        );
      this.logger.warn(
        `write scopes withdrawn from ${changed.length} system(s) of ${f.productVersionId}, ${certificates} certificate(s) suspended`,
      );
    } else if (event.type === RESTORED) {
      const e = decode(event, events.v1.ComplianceRestored);
      if (!e.productVersionId) throw new PoisonMessageError(`${event.id}: no product version`);
      const override =
        e.cause === events.v1.ComplianceRestoreCause.COMPLIANCE_RESTORE_CAUSE_OPERATOR_OVERRIDE;
      const changed = await this.systems.setWritesRestricted(
        tx,
        e.productVersionId,
        false,
        override ? { ...COMPLIANCE_ACTOR, systemId: e.actor || 'operator' } : COMPLIANCE_ACTOR,
        override ? `operator override: ${e.reason}` : 'compliance recovered',
      );
      const certificates = await this.certificates
        .joining(tx)
        .setSuspended(
          e.productVersionId,
          false,
          override ? `operator override: ${e.reason}` : 'compliance recovered',
        );
      this.logger.log(
        `write scopes restored to ${changed.length} system(s) of ${e.productVersionId}, ${certificates} certificate(s) reinstated`,
      );
    }
  }

  private async start(): Promise<void> {
    if (this.stopped) return;
    const consumer = createInboxConsumer({
      bus: createEventBus({ clientId: 'gateway-compliance', ...this.config.kafka }),
      groupId: this.env.GATEWAY_COMPLIANCE_GROUP,
      topics: [this.env.GATEWAY_COMPLIANCE_TOPIC],
      prisma: this.prisma,
      handle: (event, tx) => this.handle(event, tx as Prisma.TransactionClient),
    });
    try {
      await consumer.start();
      this.consumer = consumer;
      this.logger.log(`following ${this.env.GATEWAY_COMPLIANCE_TOPIC}`);
    } catch (err) {
      await consumer.stop().catch(() => undefined);
      this.logger.warn(`compliance decisions not followed yet (${String(err)}); retrying`);
      if (!this.stopped) this.retry = setTimeout(() => void this.start(), RETRY_MS);
    }
  }
}
