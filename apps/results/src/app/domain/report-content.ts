import { createHash } from 'node:crypto';

import { checkCode, LOINC_SYSTEM, SNOMED_SYSTEM, type CodeSystemUri } from './codes';
import { LOINC_UNITS, convertUnit, ucumProblem, unitKindProblem } from './ucum';
import { Violations } from './validation';

export const CATEGORIES = ['pathology', 'radiology'] as const;
export type Category = (typeof CATEGORIES)[number];
export const STATUSES = [
  'preliminary',
  'final',
  'amended',
  'corrected',
  'appended',
  'cancelled',
] as const;
export type ReportStatus = (typeof STATUSES)[number];
/** Ordered from most to least severe (the first present wins "most severe"). */
export const INTERPRETATIONS = [
  'critical-high',
  'critical-low',
  'abnormal',
  'high',
  'low',
  'normal',
] as const;
export type Interpretation = (typeof INTERPRETATIONS)[number];
export type SeverityClass = '' | 'normal' | 'abnormal' | 'critical';

export const MAX_OBSERVATIONS = 200;

/** What a lab sends, as the transport hands it over (strings for enums, '' for unset). */
export interface CodingInput {
  system?: string;
  code?: string;
  display?: string;
}
export interface QuantityInput {
  value?: number;
  unit?: string;
}
export interface ObservationInput {
  code?: CodingInput;
  quantity?: QuantityInput;
  coded?: CodingInput;
  text?: string;
  referenceRange?: { low?: QuantityInput; high?: QuantityInput; text?: string };
  interpretation?: string;
  note?: string;
}
export interface ReportSubmission {
  labReportId?: string;
  nhsNumber?: string;
  category?: string;
  code?: CodingInput;
  status?: string;
  performingLabOdsCode?: string;
  requester?: {
    odsCode?: string;
    region?: string;
    practitionerId?: string;
    practitionerSystem?: string;
  };
  referralId?: string;
  issued?: Date;
  conclusion?: string;
  observations?: ObservationInput[];
  versionReason?: string;
}

/** Normalised content of one version: stored as JSON, hashed for idempotency. */
export interface Coding {
  system: CodeSystemUri;
  code: string;
  display: string;
}
export type ObservationValue =
  | { kind: 'quantity'; value: number; unit: string }
  | { kind: 'coded'; system: string; code: string; display: string }
  | { kind: 'text'; text: string };
export interface Observation {
  code: Coding;
  value: ObservationValue;
  referenceRange: {
    low: { value: number; unit: string } | null;
    high: { value: number; unit: string } | null;
    text: string;
  } | null;
  interpretation: Interpretation | null;
  note: string;
}
export interface ReportContent {
  labReportId: string;
  nhsNumber: string;
  category: Category;
  code: Coding;
  status: ReportStatus;
  labOdsCode: string;
  requester: {
    odsCode: string;
    region: string;
    practitionerId: string;
    /** Only present when sent (older content hashes stay the same). */
    practitionerSystem?: string;
  };
  referralId: string | null;
  issued: string;
  conclusion: string;
  observations: Observation[];
}

const NUMERIC_TEXT = /^\s*[<>≤≥]?=?\s*[-+]?\d+(\.\d+)?\s*$/;
const P = 'report';

function isOneOf<T extends string>(list: readonly T[], v: string | undefined): v is T {
  return v !== undefined && (list as readonly string[]).includes(v);
}

function coding(
  v: Violations,
  field: string,
  input: CodingInput | undefined,
  allowed: readonly CodeSystemUri[],
): Coding | undefined {
  if (!input) {
    v.add(field, 'required', `${field} is required`);
    return undefined;
  }
  const system = input.system ?? '';
  const code = (input.code ?? '').trim();
  let ok = true;
  if (!isOneOf(allowed as readonly string[], system)) {
    v.add(
      `${field}.system`,
      'code-system',
      `${field}.system must be ${allowed.map((s) => (s === LOINC_SYSTEM ? 'LOINC' : 'SNOMED CT')).join(' or ')}`,
    );
    ok = false;
  }
  if (!v.required(`${field}.code`, code)) ok = false;
  else if (ok) {
    const problem = checkCode(system as CodeSystemUri, code);
    if (problem) {
      const name = system === LOINC_SYSTEM ? 'LOINC' : 'SNOMED CT';
      v.add(
        `${field}.code`,
        `code.${problem}`,
        problem === 'format'
          ? `${code} is not shaped like a ${name} code`
          : problem === 'partition'
            ? `${code} is a SNOMED CT id but not a concept id`
            : `${code} fails the ${name} check digit`,
      );
      ok = false;
    }
  }
  v.maxLength(`${field}.display`, input.display, 500);
  return ok
    ? { system: system as CodeSystemUri, code, display: (input.display ?? '').trim() }
    : undefined;
}

function quantity(
  v: Violations,
  field: string,
  q: QuantityInput,
): { value: number; unit: string } | undefined {
  let ok = true;
  if (typeof q.value !== 'number' || !Number.isFinite(q.value)) {
    v.add(`${field}.value`, 'number', `${field}.value must be a finite number`);
    ok = false;
  }
  const unit = q.unit ?? '';
  if (unit === '') {
    v.add(
      `${field}.unit`,
      'ucum.required',
      `${field}.unit is required: a quantity needs a UCUM unit ("1" when dimensionless)`,
    );
    ok = false;
  } else {
    const problem = ucumProblem(unit);
    if (problem) {
      v.add(`${field}.unit`, 'ucum.invalid', problem);
      ok = false;
    }
  }
  return ok ? { value: q.value!, unit } : undefined;
}

function observation(v: Violations, field: string, o: ObservationInput): Observation | undefined {
  const before = v.count;
  const code = coding(v, `${field}.code`, o.code, [LOINC_SYSTEM]);
  const present = [o.quantity ? 1 : 0, o.coded ? 1 : 0, o.text ? 1 : 0].reduce((a, b) => a + b, 0);
  let value: ObservationValue | undefined;
  if (present !== 1) {
    v.add(
      `${field}.value`,
      present === 0 ? 'required' : 'one-of',
      'exactly one of value_quantity, value_coded or value_text is required',
    );
  } else if (o.quantity) {
    const q = quantity(v, `${field}.value_quantity`, o.quantity);
    if (q && code) {
      const kind = unitKindProblem(code.code, q.unit);
      if (kind) v.add(`${field}.value_quantity.unit`, 'ucum.kind', kind);
    }
    if (q) value = { kind: 'quantity', ...q };
  } else if (o.coded) {
    const c = o.coded;
    const system = c.system ?? '';
    if (system === SNOMED_SYSTEM) {
      const cc = coding(v, `${field}.value_coded`, c, [SNOMED_SYSTEM]);
      if (cc) value = { kind: 'coded', ...cc };
    } else {
      v.add(
        `${field}.value_coded.system`,
        'code-system',
        'a coded value must be a SNOMED CT concept',
      );
    }
  } else {
    const text = o.text ?? '';
    if (NUMERIC_TEXT.test(text)) {
      v.add(
        `${field}.value_text`,
        'quantity-required',
        'a numeric result must be sent as value_quantity with a UCUM unit, not as text',
      );
    } else if (v.maxLength(`${field}.value_text`, text, 10_000)) value = { kind: 'text', text };
  }
  if (code && value && value.kind !== 'quantity' && LOINC_UNITS[code.code]) {
    v.add(
      `${field}.value_quantity`,
      'quantity-required',
      `LOINC ${code.code} is a measured quantity: send value_quantity with a UCUM unit`,
    );
  }
  let referenceRange: Observation['referenceRange'] = null;
  const rr = o.referenceRange;
  if (rr && (rr.low || rr.high || rr.text)) {
    const low = rr.low ? quantity(v, `${field}.reference_range.low`, rr.low) : undefined;
    const high = rr.high ? quantity(v, `${field}.reference_range.high`, rr.high) : undefined;
    const valueUnit = value?.kind === 'quantity' ? value.unit : undefined;
    for (const [name, b] of [
      ['low', low],
      ['high', high],
    ] as const) {
      if (b && valueUnit && convertUnit(1, b.unit, valueUnit) === undefined)
        v.add(
          `${field}.reference_range.${name}.unit`,
          'ucum.commensurable',
          `reference_range.${name}.unit "${b.unit}" cannot be converted to the value's unit "${valueUnit}"`,
        );
    }
    if (low && high) {
      const highInLow = convertUnit(high.value, high.unit, low.unit);
      if (highInLow !== undefined && highInLow < low.value)
        v.add(
          `${field}.reference_range`,
          'range-order',
          'reference_range.low must not exceed high',
        );
    }
    v.maxLength(`${field}.reference_range.text`, rr.text, 500);
    referenceRange = { low: low ?? null, high: high ?? null, text: rr.text ?? '' };
  }
  let interpretation: Interpretation | null = null;
  if (o.interpretation) {
    if (isOneOf(INTERPRETATIONS, o.interpretation)) interpretation = o.interpretation;
    else v.add(`${field}.interpretation`, 'enum', `unknown interpretation ${o.interpretation}`);
  }
  v.maxLength(`${field}.note`, o.note, 2000);
  if (v.count > before || !code || !value) return undefined;
  return { code, value, referenceRange, interpretation, note: o.note ?? '' };
}

export interface NormaliseOptions {
  /** The caller's organisation: the performing lab. */
  callerOdsCode: string;
  now: Date;
  /** Statuses this operation accepts (first submission: preliminary/final). */
  allowedStatuses: readonly ReportStatus[];
}

/**
 * Validates a submission completely (every problem at once, with proto field paths under
 * "report.") and returns the normalised content. Identity (is the patient known?) and visibility
 * are the service's job.
 */
export function normaliseReport(
  input: ReportSubmission,
  opts: NormaliseOptions,
  v: Violations = new Violations(),
): ReportContent {
  if (v.required(`${P}.lab_report_id`, input.labReportId))
    v.identifier(`${P}.lab_report_id`, input.labReportId);
  const nhsNumber = v.nhsNumber(`${P}.nhs_number`, input.nhsNumber);
  if (!isOneOf(CATEGORIES, input.category))
    v.add(`${P}.category`, 'required', 'category must be PATHOLOGY or RADIOLOGY');
  const code = coding(v, `${P}.code`, input.code, [LOINC_SYSTEM, SNOMED_SYSTEM]);
  if (!isOneOf(STATUSES, input.status)) v.add(`${P}.status`, 'required', 'status is required');
  else if (!opts.allowedStatuses.includes(input.status))
    v.add(
      `${P}.status`,
      'status',
      `status ${input.status} is not allowed here (allowed: ${opts.allowedStatuses.join(', ')})`,
    );
  const lab = input.performingLabOdsCode || opts.callerOdsCode;
  // both organisations must exist in the ODS reference data; the requester's region is the data's
  v.organisation(`${P}.performing_lab_ods_code`, lab);
  const rq = input.requester ?? {};
  const requester = v.organisation(`${P}.requester.organisation.ods_code`, rq.odsCode);
  if (rq.region && v.region(`${P}.requester.organisation.region`, rq.region))
    v.regionOf(`${P}.requester.organisation.region`, requester, rq.region);
  if (rq.practitionerSystem && !/^https?:\/\/\S{1,200}$/.test(rq.practitionerSystem))
    v.add(
      `${P}.requester.practitioner_system`,
      'uri',
      'practitioner_system must be an http(s) URI',
    );
  if (v.required(`${P}.requester.practitioner_id`, rq.practitionerId))
    v.identifier(`${P}.requester.practitioner_id`, rq.practitionerId);
  if (input.referralId)
    v.identifier(`${P}.referral_id`, input.referralId, 'referral_id must be an identifier');
  if (!input.issued || Number.isNaN(input.issued.getTime()))
    v.add(`${P}.issued`, 'required', 'issued is required');
  else if (input.issued.getTime() > opts.now.getTime() + 5 * 60_000)
    v.add(`${P}.issued`, 'not-future', 'issued must not be in the future');
  v.maxLength(`${P}.conclusion`, input.conclusion, 20_000);
  const obs = input.observations ?? [];
  if (obs.length > MAX_OBSERVATIONS)
    v.add(`${P}.observations`, 'max-items', `at most ${MAX_OBSERVATIONS} observations per report`);
  if (input.category === 'pathology' && obs.length === 0 && input.status !== 'cancelled')
    v.add(`${P}.observations`, 'required', 'a pathology report needs at least one observation');
  if (input.category === 'radiology' && obs.length === 0 && !input.conclusion?.trim())
    v.add(
      `${P}.conclusion`,
      'required',
      'a radiology report without observations needs a conclusion',
    );
  const observations = obs
    .slice(0, MAX_OBSERVATIONS)
    .map((o, i) => observation(v, `${P}.observations[${i}]`, o));
  v.throwIfAny();
  return {
    labReportId: input.labReportId!,
    nhsNumber: nhsNumber!,
    category: input.category as Category,
    code: code!,
    status: input.status as ReportStatus,
    labOdsCode: lab,
    requester: {
      odsCode: requester!.odsCode,
      region: requester!.region,
      practitionerId: rq.practitionerId!,
      ...(rq.practitionerSystem ? { practitionerSystem: rq.practitionerSystem } : {}),
    },
    referralId: input.referralId || null,
    issued: input.issued!.toISOString(),
    conclusion: (input.conclusion ?? '').trim(),
    observations: observations as Observation[],
  };
}

/**
 * Canonical JSON (keys sorted at every level) → SHA-256 hex: same content, same hash, whatever the
 * key order (content read back from jsonb has its keys reordered). Stored hashes depend on this
 * exact form: changing it needs a data migration.
 */
export function contentHash(content: ReportContent): string {
  return createHash('sha256').update(canonical(content)).digest('hex');
}

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

export function severityRank(i: Interpretation | null): number {
  if (i === 'critical-high' || i === 'critical-low') return 2;
  if (i === 'abnormal' || i === 'high' || i === 'low') return 1;
  return 0;
}

export function severityClass(mostSevere: Interpretation | null): SeverityClass {
  if (!mostSevere) return '';
  return (['normal', 'abnormal', 'critical'] as const)[severityRank(mostSevere)]!;
}

export interface Severity {
  mostSevere: Interpretation | null;
  rank: number;
  abnormalCount: number;
}

/** The most severe interpretation among the observations (critical first), and how many are abnormal. */
export function assessSeverity(observations: readonly Observation[]): Severity {
  let best: Interpretation | null = null;
  let abnormalCount = 0;
  for (const o of observations) {
    if (!o.interpretation) continue;
    if (severityRank(o.interpretation) > 0) abnormalCount++;
    if (best === null || INTERPRETATIONS.indexOf(o.interpretation) < INTERPRETATIONS.indexOf(best))
      best = o.interpretation;
  }
  return { mostSevere: best, rank: severityRank(best), abnormalCount };
}
