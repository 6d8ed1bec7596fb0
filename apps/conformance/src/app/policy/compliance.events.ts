import { events, toTimestamp } from '@trellis/contracts';
import { createOutbox, defineEventType, type OutboxEventInput } from '@trellis/events';

import { type Decision, type Finding } from './decide';

export const COMPLIANCE_TYPES = {
  warning: 'uk.nhs.trellis.conformance.ComplianceWarning.v1',
  enforced: 'uk.nhs.trellis.conformance.ComplianceEnforced.v1',
  restored: 'uk.nhs.trellis.conformance.ComplianceRestored.v1',
} as const;

export const conformanceOutbox = createOutbox({ source: '/trellis/conformance' });

export function complianceEventTypes(topic: string) {
  return {
    warning: defineEventType({
      type: COMPLIANCE_TYPES.warning,
      topic,
      codec: events.v1.ComplianceWarning,
      dataschema: 'proto:trellis.events.v1.ComplianceWarning',
    }),
    enforced: defineEventType({
      type: COMPLIANCE_TYPES.enforced,
      topic,
      codec: events.v1.ComplianceEnforced,
      dataschema: 'proto:trellis.events.v1.ComplianceEnforced',
    }),
    restored: defineEventType({
      type: COMPLIANCE_TYPES.restored,
      topic,
      codec: events.v1.ComplianceRestored,
      dataschema: 'proto:trellis.events.v1.ComplianceRestored',
    }),
  };
}

function findingToProto(
  productVersionId: string,
  f: Finding,
  policyVersion: string,
): events.v1.ComplianceFinding {
  return {
    productVersionId,
    severity: f.severity,
    rate: f.rate,
    requests: f.requests,
    windowMinutes: f.windowMinutes,
    threshold: f.threshold,
    policyVersion,
    topRules: f.topRules,
  };
}

function context(actor: string, now: Date): events.v1.EventContext {
  return {
    organisations: [],
    regions: [],
    actor: { systemId: actor, userId: '', organisation: undefined },
    occurredAt: toTimestamp(now),
    correlationId: '',
  };
}

/** The outbox input of one decision (key = product version id, so its events stay in order). */
export function complianceEvent(
  topic: string,
  productVersionId: string,
  decision: Exclude<Decision, { kind: 'none' }>,
  meta: {
    version: number;
    policyVersion: string;
    now: Date;
    actor: string;
    override?: { reason: string; until: Date };
  },
): OutboxEventInput {
  const types = complianceEventTypes(topic);
  const occ = { key: productVersionId, subject: productVersionId, time: meta.now };
  const finding = findingToProto(productVersionId, decision.finding, meta.policyVersion);
  const ctx = context(meta.actor, meta.now);
  switch (decision.kind) {
    case 'warn':
      return types.warning.occurrence(
        {
          context: ctx,
          finding,
          enforceNotBefore: toTimestamp(decision.enforceNotBefore),
          version: meta.version,
        },
        occ,
      );
    case 'enforce':
      return types.enforced.occurrence({ context: ctx, finding, version: meta.version }, occ);
    case 'restore':
      return types.restored.occurrence(
        {
          context: ctx,
          productVersionId,
          cause: meta.override
            ? events.v1.ComplianceRestoreCause.COMPLIANCE_RESTORE_CAUSE_OPERATOR_OVERRIDE
            : events.v1.ComplianceRestoreCause.COMPLIANCE_RESTORE_CAUSE_RECOVERED,
          reason: meta.override?.reason ?? '',
          actor: meta.actor,
          overrideUntil: meta.override ? toTimestamp(meta.override.until) : undefined,
          version: meta.version,
          writesWereRestricted: decision.wasEnforced,
          finding,
        },
        occ,
      );
  }
}
