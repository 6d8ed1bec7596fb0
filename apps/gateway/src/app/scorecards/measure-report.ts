import type { Bundle, Measure, MeasureReport, MeasureReportGroup } from '@medplum/fhirtypes';
import { conformance, fromTimestamp } from '@trellis/contracts';

/** The scorecard definition (FHIR Measure) the conformance service computes. */
export const SCORECARD_MEASURE_ID = 'trellis-conformance-scorecard';
export const SCORECARD_MEASURE_VERSION = '1';
const POPULATION = 'http://terminology.hl7.org/CodeSystem/measure-population';
const SCORING = 'http://terminology.hl7.org/CodeSystem/measure-scoring';
const IMPROVEMENT = 'http://terminology.hl7.org/CodeSystem/measure-improvement-notation';
/** Trellis' own codes for the scorecard's groups and stratifiers. */
export const SCORECARD_CODES = 'https://fhir.trellis.nhs.uk/CodeSystem/conformance-scorecard';
/** Extensions on a stratum (a stratum has a value or components, not both: mrp-2). */
export const SCORECARD_EXTENSION =
  'https://fhir.trellis.nhs.uk/StructureDefinition/scorecard-stratum';

/** Extensions on the report itself. */
export const SCORECARD_REPORT_EXTENSION =
  'https://fhir.trellis.nhs.uk/StructureDefinition/scorecard';
const COMPLIANCE_STATE: Record<number, string | undefined> = {
  [conformance.v1.ComplianceState.COMPLIANCE_STATE_COMPLIANT]: 'compliant',
  [conformance.v1.ComplianceState.COMPLIANCE_STATE_WARNED]: 'warned',
  [conformance.v1.ComplianceState.COMPLIANCE_STATE_ENFORCED]: 'enforced',
};

const code = (c: string, display?: string) => ({
  coding: [{ system: SCORECARD_CODES, code: c, ...(display ? { display } : {}) }],
  text: display ?? c,
});
const population = (c: string, count: number) => ({
  code: { coding: [{ system: POPULATION, code: c }] },
  count,
});

/** A subject of a scorecard as FHIR names it: a deployment (Device) or all of a version's (Group). */
export type ScorecardSubject = { kind: 'system' | 'product-version'; id: string };

export function subjectReference(s: ScorecardSubject): string {
  return s.kind === 'system' ? `Device/${s.id}` : `Group/${s.id}`;
}

/** Stable logical id of the report of one subject and period (the same card, the same id). */
export function measureReportId(s: ScorecardSubject, start: Date, end: Date): string {
  const raw = `${s.kind}|${s.id}|${start.toISOString()}|${end.toISOString()}`;
  return `sc-${Buffer.from(raw).toString('base64url')}`.slice(0, 64);
}

/**
 * One scorecard as a FHIR R4 MeasureReport (type summary): the conformance rate as the measure
 * score (numerator accepted, denominator accepted + refused, initial population every request);
 * the previous period and the trend; the failing rules, refusals and behaviours as stratifiers
 * (a rule's stratum carries a redacted example element path).
 */
export function scorecardToMeasureReport(
  card: conformance.v1.Scorecard,
  publicUrl: string,
  now: Date,
): MeasureReport {
  const kind =
    card.subjectKind === conformance.v1.SubjectKind.SUBJECT_KIND_SYSTEM
      ? 'system'
      : 'product-version';
  const subject: ScorecardSubject = { kind, id: card.subjectId };
  const start = fromTimestamp(card.periodStart ?? { seconds: 0 });
  const end = fromTimestamp(card.periodEnd ?? { seconds: 0 });
  const cur = card.current;
  const prev = card.previous;
  const rateGroup = (
    c: string,
    display: string,
    t: conformance.v1.Totals | undefined,
  ): MeasureReportGroup => ({
    code: code(c, display),
    population: [
      population('initial-population', t?.requests ?? 0),
      population('denominator', (t?.accepted ?? 0) + (t?.refused ?? 0)),
      population('numerator', t?.accepted ?? 0),
    ],
    measureScore: { value: t?.conformanceRate ?? 1 },
  });
  const groups: MeasureReportGroup[] = [
    rateGroup('conformance-rate', 'Conformance rate', cur),
    rateGroup('conformance-rate-previous', 'Conformance rate, previous period', prev),
    {
      code: code('conformance-rate-trend', 'Change against the previous period'),
      measureScore: { value: card.rateTrend },
    },
  ];
  if (card.topFailingRules.length > 0)
    groups.push({
      code: code('failing-rules', 'Top failing rules'),
      stratifier: [
        {
          code: [code('rule')],
          stratum: card.topFailingRules.map((r) => ({
            value: { text: r.rule },
            population: [population('numerator', r.requests)],
            extension: [
              { url: `${SCORECARD_EXTENSION}-issues`, valueInteger: r.issues },
              { url: `${SCORECARD_EXTENSION}-previous-period`, valueInteger: r.previousRequests },
              { url: `${SCORECARD_EXTENSION}-severity`, valueCode: r.severity || 'error' },
              ...(r.examplePath
                ? [{ url: `${SCORECARD_EXTENSION}-example-path`, valueString: r.examplePath }]
                : []),
            ],
          })),
        },
      ],
    });
  if (card.refusalsByStatus.length > 0)
    groups.push({
      code: code('refusals', 'Refusals by status'),
      stratifier: [
        {
          code: [code('status')],
          stratum: card.refusalsByStatus.map((s) => ({
            value: { text: s.status },
            population: [population('numerator', s.count)],
          })),
        },
      ],
    });
  groups.push({
    code: code('behaviours', 'Client behaviours'),
    stratifier: [
      {
        code: [code('behaviour')],
        stratum: card.behaviours.map((b) => ({
          value: { text: b.behaviour },
          population: [population('numerator', b.count)],
          extension: [
            { url: `${SCORECARD_EXTENSION}-previous-period`, valueInteger: b.previousCount },
          ],
        })),
      },
    ],
  });
  const state = COMPLIANCE_STATE[card.compliance?.state ?? 0];
  return {
    resourceType: 'MeasureReport',
    id: measureReportId(subject, start, end),
    // where a product version stands under the policy (product-version reports only)
    ...(state
      ? {
          extension: [
            { url: `${SCORECARD_REPORT_EXTENSION}-compliance-state`, valueCode: state },
            ...(card.compliance?.policyVersion
              ? [
                  {
                    url: `${SCORECARD_REPORT_EXTENSION}-policy-version`,
                    valueString: card.compliance.policyVersion,
                  },
                ]
              : []),
            ...complianceHistory(card.compliance),
          ],
        }
      : {}),
    meta: { lastUpdated: now.toISOString() },
    status: 'complete',
    type: 'summary',
    measure: `${publicUrl}/fhir/Measure/${card.definitionId || SCORECARD_MEASURE_ID}|${SCORECARD_MEASURE_VERSION}`,
    subject: { reference: subjectReference(subject) },
    date: now.toISOString(),
    reporter: { display: `Trellis conformance service (policy ${card.policyVersion})` },
    period: { start: start.toISOString(), end: end.toISOString() },
    improvementNotation: { coding: [{ system: IMPROVEMENT, code: 'increase' }] },
    group: groups,
  };
}

/** When the version was warned and enforced, and the operator's override in force (if any). */
function complianceHistory(c: conformance.v1.Compliance | undefined) {
  if (!c) return [];
  const at = (name: string, t: { seconds: number; nanos: number } | undefined) =>
    t && (t.seconds > 0 || t.nanos > 0)
      ? [
          {
            url: `${SCORECARD_REPORT_EXTENSION}-${name}`,
            valueDateTime: fromTimestamp(t).toISOString(),
          },
        ]
      : [];
  const text = (name: string, v: string) =>
    v ? [{ url: `${SCORECARD_REPORT_EXTENSION}-${name}`, valueString: v }] : [];
  return [
    ...at('warned-at', c.warnedAt),
    ...at('enforced-at', c.enforcedAt),
    ...at('override-until', c.overrideUntil),
    ...text('override-reason', c.overrideReason),
    ...text('override-by', c.overrideBy),
  ];
}

export function searchsetOf(reports: MeasureReport[], selfUrl: string): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: reports.length,
    link: [{ relation: 'self', url: selfUrl }],
    entry: reports.map((r) => ({ resource: r, search: { mode: 'match' } })),
  };
}

/** The scorecard definition as a FHIR Measure. */
export function scorecardMeasure(publicUrl: string, policyVersion: string): Measure {
  return {
    resourceType: 'Measure',
    id: SCORECARD_MEASURE_ID,
    url: `${publicUrl}/fhir/Measure/${SCORECARD_MEASURE_ID}`,
    version: SCORECARD_MEASURE_VERSION,
    name: 'TrellisConformanceScorecard',
    title: 'Trellis conformance scorecard',
    status: 'active',
    experimental: false,
    publisher: 'Trellis national operator',
    description:
      'Conformance of a connected system (Device) or of every deployment of a supplier product ' +
      'version (Group) over a period, from the live traffic at the Trellis chokepoint (both doors): ' +
      'accepted / (accepted + refused) calls, the rules refused requests broke, how calls were ' +
      `refused and client behaviours. Consequences follow the declared policy (${policyVersion}).`,
    scoring: { coding: [{ system: SCORING, code: 'proportion' }] },
    improvementNotation: { coding: [{ system: IMPROVEMENT, code: 'increase' }] },
    group: [
      {
        code: code('conformance-rate', 'Conformance rate'),
        description: 'Calls accepted among the calls judged (server errors excluded).',
        population: [
          {
            code: { coding: [{ system: POPULATION, code: 'initial-population' }] },
            description: 'Every call of the subject in the period.',
            criteria: {
              language: 'text/fhirpath',
              expression: "AccessRecorded.where(sourceService = 'gateway')",
            },
          },
          {
            code: { coding: [{ system: POPULATION, code: 'denominator' }] },
            description: 'Calls accepted or refused.',
            criteria: {
              language: 'text/fhirpath',
              expression:
                "AccessRecorded.where(sourceService = 'gateway' and (outcome = '0' or outcome = '4'))",
            },
          },
          {
            code: { coding: [{ system: POPULATION, code: 'numerator' }] },
            description: 'Calls accepted.',
            criteria: {
              language: 'text/fhirpath',
              expression: "AccessRecorded.where(sourceService = 'gateway' and outcome = '0')",
            },
          },
        ],
      },
      {
        code: code('failing-rules', 'Top failing rules'),
        description: 'Refused requests per Trellis rule, with a redacted example element path.',
        stratifier: [
          {
            code: code('rule'),
            criteria: { language: 'text/fhirpath', expression: 'ConformanceViolation.rule' },
          },
        ],
      },
      {
        code: code('refusals', 'Refusals by status'),
        stratifier: [
          {
            code: code('status'),
            criteria: {
              language: 'text/fhirpath',
              expression: 'AccessRecorded.outcomeDescription',
            },
          },
        ],
      },
      {
        code: code('behaviours', 'Client behaviours'),
        description:
          'rate-limited, retry-before-retry-after, update-without-if-match, duplicate-create, call-after-suspension.',
        stratifier: [
          {
            code: code('behaviour'),
            criteria: {
              language: 'text/fhirpath',
              expression: 'AccessRecorded.outcomeDescription',
            },
          },
        ],
      },
    ],
  };
}
