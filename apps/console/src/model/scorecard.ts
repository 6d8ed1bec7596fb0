// Scorecards as the gateway's FHIR facade serves them (GET /fhir/MeasureReport, docs/conformance.md):
// one MeasureReport per subject and period, read here into what the Scorecards page shows.
import { codeOf, extensionOf, type CodeableConcept, type Extension } from './fhir';

const STRATUM = 'https://fhir.trellis.nhs.uk/StructureDefinition/scorecard-stratum';
const REPORT = 'https://fhir.trellis.nhs.uk/StructureDefinition/scorecard';

interface Population {
  code?: CodeableConcept;
  count?: number;
}

interface Stratum {
  value?: CodeableConcept;
  population?: Population[];
  extension?: Extension[];
}

export interface MeasureReport {
  resourceType: 'MeasureReport';
  id?: string;
  period: { start: string; end: string };
  reporter?: { display?: string };
  extension?: Extension[];
  group?: Array<{
    code?: CodeableConcept;
    population?: Population[];
    measureScore?: { value?: number };
    stratifier?: Array<{ stratum?: Stratum[] }>;
  }>;
}

export type Subject = { kind: 'system' | 'product-version'; id: string };

export const subjectParam = (s: Subject): string =>
  `${s.kind === 'system' ? 'Device' : 'Group'}/${s.id}`;

export interface RuleRow {
  rule: string;
  requests: number;
  issues: number;
  previous: number;
  severity: string;
  example: string;
}

export interface CountRow {
  name: string;
  count: number;
  previous?: number;
}

export interface Scorecard {
  start: string;
  end: string;
  requests: number;
  judged: number;
  accepted: number;
  /** accepted / judged; undefined when nothing was judged. */
  rate: number | undefined;
  previousRate: number | undefined;
  rules: RuleRow[];
  refusals: CountRow[];
  behaviours: CountRow[];
  /** Product-version reports: compliant | warned | enforced, and the policy in force. */
  compliance?: string;
  policyVersion: string;
  /** When the version was warned / enforced, the operator's override (product-version reports). */
  warnedAt?: string;
  enforcedAt?: string;
  overrideUntil?: string;
  overrideReason?: string;
  overrideBy?: string;
}

const count = (pops: Population[] | undefined, code: string): number =>
  pops?.find((p) => codeOf(p.code) === code)?.count ?? 0;

function strata(report: MeasureReport, group: string): Stratum[] {
  return (
    report.group
      ?.find((g) => codeOf(g.code) === group)
      ?.stratifier?.flatMap((s) => s.stratum ?? []) ?? []
  );
}

const firstCount = (s: Stratum): number => s.population?.[0]?.count ?? 0;

export function scorecardOf(report: MeasureReport): Scorecard {
  const rateGroup = (code: string) => report.group?.find((g) => codeOf(g.code) === code);
  const cur = rateGroup('conformance-rate');
  const prev = rateGroup('conformance-rate-previous');
  const judged = count(cur?.population, 'denominator');
  const prevJudged = count(prev?.population, 'denominator');
  const ext = (name: string) => extensionOf(report, `${REPORT}-${name}`);
  const policy = /policy ([^)]+)\)/.exec(report.reporter?.display ?? '')?.[1];
  return {
    start: report.period.start,
    end: report.period.end,
    requests: count(cur?.population, 'initial-population'),
    judged,
    accepted: count(cur?.population, 'numerator'),
    rate: judged > 0 ? (cur?.measureScore?.value ?? undefined) : undefined,
    previousRate: prevJudged > 0 ? (prev?.measureScore?.value ?? undefined) : undefined,
    rules: strata(report, 'failing-rules').map((s) => ({
      rule: codeOf(s.value),
      requests: firstCount(s),
      issues: extensionOf(s, `${STRATUM}-issues`)?.valueInteger ?? 0,
      previous: extensionOf(s, `${STRATUM}-previous-period`)?.valueInteger ?? 0,
      severity: extensionOf(s, `${STRATUM}-severity`)?.valueCode ?? 'error',
      example: extensionOf(s, `${STRATUM}-example-path`)?.valueString ?? '',
    })),
    refusals: strata(report, 'refusals').map((s) => ({
      name: codeOf(s.value),
      count: firstCount(s),
    })),
    behaviours: strata(report, 'behaviours').map((s) => ({
      name: codeOf(s.value),
      count: firstCount(s),
      previous: extensionOf(s, `${STRATUM}-previous-period`)?.valueInteger ?? 0,
    })),
    ...(ext('compliance-state')?.valueCode
      ? { compliance: ext('compliance-state')!.valueCode }
      : {}),
    policyVersion: ext('policy-version')?.valueString ?? policy ?? '',
    ...optional('warnedAt', ext('warned-at')?.valueDateTime),
    ...optional('enforcedAt', ext('enforced-at')?.valueDateTime),
    ...optional('overrideUntil', ext('override-until')?.valueDateTime),
    ...optional('overrideReason', ext('override-reason')?.valueString),
    ...optional('overrideBy', ext('override-by')?.valueString),
  };
}

const optional = <K extends string>(k: K, v: string | undefined): Partial<Record<K, string>> =>
  v ? ({ [k]: v } as Record<K, string>) : {};

export type Range = '24h' | '7d' | '30d';

/** The periods a range is charted in: 12 two-hour, 7 daily or 30 daily buckets ending now. */
export function bucketsOf(range: Range, now: Date): Array<{ start: Date; end: Date }> {
  const [n, hours] = range === '24h' ? [12, 2] : range === '7d' ? [7, 24] : [30, 24];
  const step = hours * 3_600_000;
  // aligned to the hour so that a refetch asks for the same cards
  const end = Math.ceil(now.getTime() / 3_600_000) * 3_600_000;
  return Array.from({ length: n }, (_, i) => ({
    start: new Date(end - (n - i) * step),
    end: new Date(end - (n - i - 1) * step),
  }));
}

export interface Thresholds {
  warnAbove: number;
  enforceAbove: number;
  minRequests: number;
  windowMinutes: number;
}

/**
 * The error-severity thresholds of the published policies (docs/conformance.md; the gateway's
 * answers name the policy version, not its figures). The policy counts the share of judged
 * requests that broke error rules, so the rate lines are drawn at 1 − threshold.
 */
export const POLICIES: Readonly<Record<string, Thresholds>> = {
  'conformance-policy-1': {
    warnAbove: 0.05,
    enforceAbove: 0.2,
    minRequests: 50,
    windowMinutes: 60,
  },
};

export const percent = (v: number | undefined, digits = 1): string =>
  v === undefined ? '—' : `${(v * 100).toFixed(digits)} %`;
