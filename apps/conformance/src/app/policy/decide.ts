import { type CompliancePolicy, type Severity, SEVERITIES } from './policy';

export type ComplianceStateName = 'compliant' | 'warned' | 'enforced';

export interface ComplianceRow {
  state: ComplianceStateName;
  severity: string | null;
  warnedAt: Date | null;
  enforcedAt: Date | null;
  overrideUntil: Date | null;
}

/** One severity's measure over its window: judged requests and those breaking its rules. */
export interface SeverityMeasure {
  requests: number;
  breaking: number;
  topRules: string[];
}

export interface Finding {
  severity: Severity | '';
  rate: number;
  requests: number;
  windowMinutes: number;
  threshold: number;
  topRules: string[];
}

export type Decision =
  | { kind: 'none' }
  | { kind: 'warn'; finding: Finding; enforceNotBefore: Date }
  | { kind: 'enforce'; finding: Finding }
  | { kind: 'restore'; finding: Finding; wasEnforced: boolean };

const rateOf = (m: SeverityMeasure | undefined): number =>
  !m || m.requests === 0 ? 0 : Math.min(1, m.breaking / m.requests);

function finding(
  policy: CompliancePolicy,
  severity: Severity,
  m: SeverityMeasure | undefined,
  threshold: number,
): Finding {
  const t = policy.thresholds[severity];
  return {
    severity,
    rate: Math.round(rateOf(m) * 1e6) / 1e6,
    requests: m?.requests ?? 0,
    windowMinutes: t?.windowMinutes ?? 0,
    threshold,
    topRules: m?.topRules ?? [],
  };
}

/**
 * The policy's next step for one product version (pure): compliant → warned when a severity's
 * rate exceeds its warning threshold (with enough judged requests); warned → enforced when a rate
 * still exceeds the enforcement threshold after the grace period (not while an operator override
 * holds); warned → compliant when every rate is back under its warning threshold; enforced →
 * compliant when every rate is at or under its recovery threshold and enforcement lasted its
 * minimum. Too few requests decide nothing.
 */
export function decide(
  row: ComplianceRow,
  measures: Partial<Record<Severity, SeverityMeasure>>,
  policy: CompliancePolicy,
  now: Date,
): Decision {
  const overridden = !!row.overrideUntil && row.overrideUntil > now;
  const judged = (s: Severity): boolean => {
    const t = policy.thresholds[s];
    return !!t && (measures[s]?.requests ?? 0) >= t.minRequests;
  };
  const over = (s: Severity, level: 'warnAbove' | 'enforceAbove'): boolean => {
    const t = policy.thresholds[s];
    return !!t && judged(s) && rateOf(measures[s]) > t[level];
  };

  if (row.state === 'compliant') {
    const s = SEVERITIES.find((x) => over(x, 'warnAbove'));
    if (!s) return { kind: 'none' };
    const t = policy.thresholds[s]!;
    return {
      kind: 'warn',
      finding: finding(policy, s, measures[s], t.warnAbove),
      enforceNotBefore: new Date(now.getTime() + t.graceMinutes * 60_000),
    };
  }

  if (row.state === 'warned') {
    const enforce = SEVERITIES.find((s) => {
      const t = policy.thresholds[s];
      return (
        !overridden &&
        !!t &&
        over(s, 'enforceAbove') &&
        !!row.warnedAt &&
        now.getTime() - row.warnedAt.getTime() >= t.graceMinutes * 60_000
      );
    });
    if (enforce)
      return {
        kind: 'enforce',
        finding: finding(
          policy,
          enforce,
          measures[enforce],
          policy.thresholds[enforce]!.enforceAbove,
        ),
      };
    const stillOver = SEVERITIES.some((s) => over(s, 'warnAbove'));
    const anyJudged = SEVERITIES.some(judged);
    if (!stillOver && anyJudged) {
      const s = (row.severity as Severity | null) ?? policy.defaultSeverity;
      return {
        kind: 'restore',
        finding: finding(policy, s, measures[s], policy.thresholds[s]?.warnAbove ?? 0),
        wasEnforced: false,
      };
    }
    return { kind: 'none' };
  }

  // enforced
  const s = (row.severity as Severity | null) ?? policy.defaultSeverity;
  const t = policy.thresholds[s];
  if (!t || !row.enforcedAt) return { kind: 'none' };
  const heldLongEnough = now.getTime() - row.enforcedAt.getTime() >= t.minEnforcedMinutes * 60_000;
  const recovered = SEVERITIES.every((x) => {
    const tx = policy.thresholds[x];
    return !tx || !judged(x) || rateOf(measures[x]) <= tx.recoverAtOrBelow;
  });
  if (heldLongEnough && judged(s) && recovered)
    return {
      kind: 'restore',
      finding: finding(policy, s, measures[s], t.recoverAtOrBelow),
      wasEnforced: true,
    };
  return { kind: 'none' };
}
