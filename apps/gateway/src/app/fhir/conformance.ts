import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Caller } from '@trellis/auth';
import { events, toTimestamp } from '@trellis/contracts';
import { eventActor } from '@trellis/events';
import { type FhirIssue } from '@trellis/fhir';

import { GATEWAY_OUTBOX, type GatewayOutbox, type RawSql } from '../audit/gateway-outbox';
import { GatewayPrismaService } from '../database/gateway-prisma.service';
import { FHIR_CONFIG, type FhirConfig } from './fhir.config';

export const CONFORMANCE_VIOLATION_TYPE = 'uk.nhs.trellis.gateway.ConformanceViolation.v1';
export const CONFORMANCE_VIOLATION_SCHEMA = 'proto:trellis.events.v1.ConformanceViolation';

/**
 * Counts validation rejections for the compliance scorecards: one ConformanceViolation event per
 * (connected system, rule) of a refused request, written through the gateway's outbox (key =
 * system id) and relayed to trellis.gateway.conformance.v1. A refusal's events are one insert
 * statement (all or none, in rule order), so they need no transaction of their own.
 */
@Injectable()
export class ConformanceRecorder {
  private readonly logger = new Logger('Conformance');

  constructor(
    @Inject(GatewayPrismaService) private readonly db: RawSql,
    @Inject(GATEWAY_OUTBOX) private readonly outbox: GatewayOutbox,
    @Inject(FHIR_CONFIG) private readonly config: FhirConfig,
  ) {}

  async record(
    caller: Caller | undefined,
    resourceType: string,
    interaction: string,
    httpStatus: number,
    issues: readonly FhirIssue[],
    correlationId?: string,
  ): Promise<void> {
    if (!caller || issues.length === 0) return;
    const byRule = new Map<string, string[]>();
    for (const i of issues) {
      const list = byRule.get(i.rule) ?? [];
      list.push(i.expression ?? resourceType);
      byRule.set(i.rule, list);
    }
    const now = new Date();
    try {
      await this.outbox.enqueueMany(
        this.db,
        [...byRule].map(([rule, expressions]) => {
          const msg: events.v1.ConformanceViolation = {
            context: {
              organisations: [{ odsCode: caller.odsCode, region: caller.region }],
              regions: caller.region ? [caller.region] : [],
              actor: eventActor(caller),
              occurredAt: toTimestamp(now),
              correlationId: correlationId ?? '',
            },
            systemId: caller.systemId,
            rule,
            resourceType,
            interaction,
            expressions,
            count: expressions.length,
            httpStatus,
            occurredAt: toTimestamp(now),
            productVersionId: caller.productVersionId ?? '',
          };
          return {
            topic: this.config.conformanceTopic,
            key: caller.systemId,
            type: CONFORMANCE_VIOLATION_TYPE,
            subject: caller.systemId,
            odsCode: caller.odsCode,
            region: caller.region,
            dataschema: CONFORMANCE_VIOLATION_SCHEMA,
            payload: events.v1.ConformanceViolation.encode(msg).finish(),
          };
        }),
      );
    } catch (err) {
      // the refusal itself stands; a lost scorecard count is logged, never turned into a 500
      this.logger.error(
        `conformance event not recorded: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
}
