import { readFileSync } from 'node:fs';

import { z } from 'zod';

export const SEVERITIES = ['error', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];

const threshold = z
  .object({
    /** Rolling window the rate is measured over, minutes. */
    windowMinutes: z.number().int().min(1).max(1440),
    /** Judged requests needed in the window before anything is decided. */
    minRequests: z.number().int().min(1),
    /** Warn when the share of judged requests breaking rules of this severity exceeds this. */
    warnAbove: z.number().min(0).max(1),
    /** Withdraw write scopes when the share still exceeds this after the grace period. */
    enforceAbove: z.number().min(0).max(1),
    /** Time between the warning and enforcement, minutes (0 = at once). */
    graceMinutes: z.number().int().min(0).max(10_080),
    /** Give write scopes back when the share falls to or below this … */
    recoverAtOrBelow: z.number().min(0).max(1),
    /** … but not before enforcement has lasted this long, minutes (hysteresis). */
    minEnforcedMinutes: z.number().int().min(0).max(10_080),
  })
  .refine((t) => t.enforceAbove >= t.warnAbove, 'enforceAbove must be ≥ warnAbove')
  .refine((t) => t.recoverAtOrBelow <= t.warnAbove, 'recoverAtOrBelow must be ≤ warnAbove');

/**
 * The declared compliance policy: versioned (the version is shown in every scorecard and event),
 * thresholds per rule severity over rolling windows, rule → severity (unlisted: the default).
 */
export const policySchema = z.object({
  version: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/),
  defaultSeverity: z.enum(SEVERITIES).default('error'),
  severities: z.record(z.string().min(1), z.enum(SEVERITIES)).default({}),
  thresholds: z.partialRecord(z.enum(SEVERITIES), threshold),
  /** Default length of an operator override, hours. */
  overrideHours: z.number().int().min(1).max(720).default(24),
});

export type CompliancePolicy = z.output<typeof policySchema>;
export type Threshold = z.output<typeof threshold>;

/** The national minimum shipped with the platform (overridable by CONFORMANCE_POLICY_FILE). */
export const DEFAULT_POLICY: CompliancePolicy = policySchema.parse({
  version: 'conformance-policy-1',
  defaultSeverity: 'error',
  severities: { 'fhir.unknown-element': 'warning', 'telecom.format': 'warning' },
  thresholds: {
    error: {
      windowMinutes: 60,
      minRequests: 50,
      warnAbove: 0.05,
      enforceAbove: 0.2,
      graceMinutes: 60,
      recoverAtOrBelow: 0.02,
      minEnforcedMinutes: 60,
    },
    warning: {
      windowMinutes: 1440,
      minRequests: 200,
      warnAbove: 0.2,
      enforceAbove: 1,
      graceMinutes: 10_080,
      recoverAtOrBelow: 0.1,
      minEnforcedMinutes: 1440,
    },
  },
  overrideHours: 24,
});

/** The policy from a JSON file (every problem reported at once), or the default. */
export function loadPolicy(file: string | undefined): CompliancePolicy {
  if (!file) return DEFAULT_POLICY;
  const parsed = policySchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new Error(
      `invalid compliance policy ${file}: ${parsed.error.issues
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
    );
  return parsed.data;
}

export function severityOf(policy: CompliancePolicy, rule: string): Severity {
  return policy.severities[rule] ?? policy.defaultSeverity;
}
