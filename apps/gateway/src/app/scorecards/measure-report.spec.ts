import { conformance } from '@trellis/contracts';
import { validateFhirResource } from '@trellis/fhir';

import {
  measureReportId,
  scorecardMeasure,
  scorecardToMeasureReport,
  searchsetOf,
} from './measure-report';
import { at, sampleScorecard as card } from '../../../test/support/scorecard-fixtures';

const { SubjectKind } = conformance.v1;
const NOW = new Date('2026-12-06T12:00:00Z');

describe('scorecard as FHIR', () => {
  it('a full MeasureReport passes the FHIR validator', () => {
    const report = scorecardToMeasureReport(card(), 'https://gw.example', NOW);
    expect(validateFhirResource(report).issues).toEqual([]);
    expect(report).toMatchObject({
      subject: { reference: 'Group/bad-gp@2.0' },
      period: { start: '2026-12-05T00:00:00.000Z', end: '2026-12-06T00:00:00.000Z' },
      measure: 'https://gw.example/fhir/Measure/trellis-conformance-scorecard|1',
    });
    expect(report.group?.[0]?.measureScore?.value).toBe(0.677966);
    expect(report.extension).toEqual([
      {
        url: 'https://fhir.trellis.nhs.uk/StructureDefinition/scorecard-compliance-state',
        valueCode: 'enforced',
      },
      {
        url: 'https://fhir.trellis.nhs.uk/StructureDefinition/scorecard-policy-version',
        valueString: 'conformance-policy-1',
      },
    ]);
    expect(report.group?.[0]?.population?.map((p) => p.count)).toEqual([120, 118, 80]);
  });

  it('an empty card (no failing rule, no refusal) passes too, and the bundle', () => {
    const report = scorecardToMeasureReport(
      card({
        subjectKind: SubjectKind.SUBJECT_KIND_SYSTEM,
        subjectId: 'sys-good',
        topFailingRules: [],
        refusalsByStatus: [],
        current: { requests: 0, accepted: 0, refused: 0, conformanceRate: 1, violations: 0 },
      }),
      'https://gw.example',
      NOW,
    );
    expect(report.subject?.reference).toBe('Device/sys-good');
    expect(validateFhirResource(report).issues).toEqual([]);
    expect(
      validateFhirResource(searchsetOf([report], 'https://gw.example/fhir/MeasureReport')).issues,
    ).toEqual([]);
  });

  it('a version warned, enforced and overridden carries the dates, the reason and the author', () => {
    const report = scorecardToMeasureReport(
      card({
        compliance: {
          productVersionId: 'bad-gp@2.0',
          state: conformance.v1.ComplianceState.COMPLIANCE_STATE_COMPLIANT,
          policyVersion: 'conformance-policy-1',
          severity: 'error',
          rate: 0.3,
          warnedAt: at('2026-12-05T10:00:00Z'),
          enforcedAt: at('2026-12-05T11:00:00Z'),
          overrideUntil: at('2026-12-06T11:30:00Z'),
          overrideReason: 'fix deployed',
          overrideBy: 'operator-1',
          version: 3,
          changedAt: at('2026-12-05T11:00:00Z'),
        },
      }),
      'https://gw.example',
      NOW,
    );
    expect(validateFhirResource(report).issues).toEqual([]);
    const ext = (name: string) =>
      report.extension?.find(
        (e) => e.url === `https://fhir.trellis.nhs.uk/StructureDefinition/scorecard-${name}`,
      );
    expect(ext('compliance-state')?.valueCode).toBe('compliant');
    expect(ext('warned-at')?.valueDateTime).toBe('2026-12-05T10:00:00.000Z');
    expect(ext('enforced-at')?.valueDateTime).toBe('2026-12-05T11:00:00.000Z');
    expect(ext('override-until')?.valueDateTime).toBe('2026-12-06T11:30:00.000Z');
    expect(ext('override-reason')?.valueString).toBe('fix deployed');
    expect(ext('override-by')?.valueString).toBe('operator-1');
  });

  it('the Measure passes the validator', () => {
    expect(
      validateFhirResource(scorecardMeasure('https://gw.example', 'conformance-policy-1')).issues,
    ).toEqual([]);
  });

  it('report ids are stable per subject and period and valid FHIR ids', () => {
    const a = measureReportId({ kind: 'system', id: 'sys-a' }, new Date(0), new Date(60_000));
    expect(a).toBe(measureReportId({ kind: 'system', id: 'sys-a' }, new Date(0), new Date(60_000)));
    expect(a).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
  });
});
