import { ResultsError } from './results.errors';
import {
  assessSeverity,
  contentHash,
  normaliseReport,
  type ObservationInput,
  type ReportSubmission,
} from './report-content';
import { ucumProblem, unitKindProblem } from './ucum';

const LOINC = 'http://loinc.org';
const now = new Date('2026-11-23T12:00:00Z');
const opts = { callerOdsCode: 'RTH', now, allowedStatuses: ['preliminary', 'final'] as const };

function q(code: string, value: number, unit: string, interpretation = 'normal'): ObservationInput {
  return { code: { system: LOINC, code }, quantity: { value, unit }, interpretation };
}

function report(over: Partial<ReportSubmission> = {}): ReportSubmission {
  return {
    labReportId: 'LAB-1',
    nhsNumber: '9434765919',
    category: 'pathology',
    code: { system: LOINC, code: '58410-2', display: 'CBC' },
    status: 'final',
    requester: { odsCode: 'A81001', region: 'north-east', practitionerId: 'G8123456' },
    issued: new Date('2026-11-23T10:00:00Z'),
    observations: [q('718-7', 135, 'g/L'), q('6690-2', 6.1, '10*9/L')],
    ...over,
  };
}

function violations(input: ReportSubmission): string[] {
  try {
    normaliseReport(input, opts);
  } catch (e) {
    if (e instanceof ResultsError) return e.violations.map((v) => `${v.field} ${v.rule}`);
    throw e;
  }
  return [];
}

function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .reverse()
      .map(([k, x]) => [k, reverseKeys(x)]),
  );
}

describe('report validation and normalisation', () => {
  it('normalises a valid report; the performing lab defaults to the caller', () => {
    const c = normaliseReport(report(), opts);
    expect(c.labOdsCode).toBe('RTH');
    expect(c.observations[0]!.value).toEqual({ kind: 'quantity', value: 135, unit: 'g/L' });
  });

  it('hashes content, not key order, and sees every change', () => {
    const a = normaliseReport(report(), opts);
    const b = normaliseReport(
      { ...report(), code: { display: 'CBC', code: '58410-2', system: LOINC } },
      opts,
    );
    expect(contentHash(a)).toBe(contentHash(b));
    // content read back from jsonb has its keys in another order: same hash
    const reversed = reverseKeys(a) as typeof a;
    expect(Object.keys(reversed)[0]).toBe('observations');
    expect(contentHash(reversed)).toBe(contentHash(a));
    const c = normaliseReport(
      report({ observations: [q('718-7', 136, 'g/L'), q('6690-2', 6.1, '10*9/L')] }),
      opts,
    );
    expect(contentHash(c)).not.toBe(contentHash(a));
  });

  it('refuses a quantity without unit, a non-UCUM unit and a unit of the wrong kind', () => {
    expect(violations(report({ observations: [q('718-7', 135, '')] }))).toEqual([
      'report.observations[0].value_quantity.unit ucum.required',
    ]);
    expect(violations(report({ observations: [q('718-7', 135, 'gm/litre')] }))).toEqual([
      'report.observations[0].value_quantity.unit ucum.invalid',
    ]);
    expect(violations(report({ observations: [q('718-7', 8.4, 'mmol/L')] }))).toEqual([
      'report.observations[0].value_quantity.unit ucum.kind',
    ]);
    expect(violations(report({ observations: [q('718-7', 13.5, 'g/dL')] }))).toEqual([]);
  });

  it('refuses numbers sent as text and quantities of measured codes sent as text', () => {
    expect(
      violations(
        report({ observations: [{ code: { system: LOINC, code: '2823-3' }, text: '< 3.5' }] }),
      ),
    ).toEqual(['report.observations[0].value_text quantity-required']);
    expect(
      violations(
        report({ observations: [{ code: { system: LOINC, code: '2823-3' }, text: 'haemolysed' }] }),
      ),
    ).toEqual(['report.observations[0].value_quantity quantity-required']);
  });

  it('needs observations for pathology and a conclusion for radiology without them', () => {
    expect(violations(report({ observations: [] }))).toEqual(['report.observations required']);
    expect(
      violations(
        report({
          category: 'radiology',
          code: { system: 'http://snomed.info/sct', code: '168731009' },
          observations: [],
        }),
      ),
    ).toEqual(['report.conclusion required']);
  });

  it('ranks the most severe interpretation: critical over abnormal over normal', () => {
    const c = normaliseReport(
      report({
        observations: [
          q('718-7', 135, 'g/L', 'high'),
          q('777-3', 20, '10*9/L', 'critical-low'),
          q('6690-2', 3, '10*9/L', 'low'),
        ],
      }),
      opts,
    );
    expect(assessSeverity(c.observations)).toEqual({
      mostSevere: 'critical-low',
      rank: 2,
      abnormalCount: 3,
    });
    expect(assessSeverity(normaliseReport(report(), opts).observations)).toEqual({
      mostSevere: 'normal',
      rank: 0,
      abnormalCount: 0,
    });
  });

  it('uses the UCUM library', () => {
    expect(ucumProblem('mmol/L')).toBeUndefined();
    expect(ucumProblem('10*9/L')).toBeUndefined();
    expect(ucumProblem('mL/min/{1.73_m2}')).toBeUndefined();
    expect(ucumProblem('furlongs')).toMatch(/not a valid UCUM unit/);
    expect(unitKindProblem('59261-8', 'g/L')).toMatch(/expected a unit convertible to mmol\/mol/);
  });
});
