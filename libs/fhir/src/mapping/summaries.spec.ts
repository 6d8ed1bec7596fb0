import type { DiagnosticReport } from '@medplum/fhirtypes';
import { results } from '@trellis/contracts';

import {
  observationId,
  parseObservationId,
  REPORT_REQUESTER_EXTENSION,
  reportObservationsToFhir,
  reportToFhir,
  submitReportFromFhir,
} from './summaries';

const pb = results.v1;

const report: DiagnosticReport = {
  resourceType: 'DiagnosticReport',
  identifier: [{ system: 'https://fhir.trellis.nhs.uk/Id/lab-report-id', value: 'LAB-1' }],
  extension: [
    {
      url: REPORT_REQUESTER_EXTENSION,
      extension: [
        {
          url: 'organization',
          valueReference: { identifier: { value: 'A81001' } },
        },
        { url: 'practitioner', valueIdentifier: { value: 'G8123456' } },
      ],
    },
  ],
  status: 'final',
  category: [{ coding: [{ code: 'LAB' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '58410-2' }] },
  subject: { reference: 'Patient/9434765919' },
  performer: [{ identifier: { value: 'RR8' } }],
  basedOn: [{ reference: 'ServiceRequest/ref-1' }],
  issued: '2026-02-01T10:00:00.000Z',
  conclusion: 'anaemia',
  contained: [
    {
      resourceType: 'Observation',
      id: 'b',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '5909-7' }] },
      valueString: 'film normal',
    },
    {
      resourceType: 'Observation',
      id: 'a',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
      valueQuantity: {
        value: 100,
        unit: 'grams/L',
        system: 'http://unitsofmeasure.org',
        code: 'g/L',
      },
      referenceRange: [{ low: { value: 130, code: 'g/L' }, text: '130-170' }],
      interpretation: [{ coding: [{ code: 'LL' }] }],
    },
  ],
  result: [{ reference: '#a' }, { reference: '#b' }],
};

describe('submitReportFromFhir', () => {
  it('maps a DiagnosticReport and its contained observations (in result order) to ReportInput', () => {
    const input = submitReportFromFhir(report);
    expect(input).toMatchObject({
      labReportId: 'LAB-1',
      nhsNumber: '9434765919',
      category: pb.ReportCategory.REPORT_CATEGORY_PATHOLOGY,
      code: { system: pb.CodeSystem.CODE_SYSTEM_LOINC, code: '58410-2' },
      status: pb.ReportStatus.REPORT_STATUS_FINAL,
      performingLabOdsCode: 'RR8',
      requester: { organisation: { odsCode: 'A81001', region: '' }, practitionerId: 'G8123456' },
      referralId: 'ref-1',
      issued: { seconds: Date.parse('2026-02-01T10:00:00Z') / 1000, nanos: 0 },
      conclusion: 'anaemia',
    });
    expect(input.observations).toHaveLength(2);
    expect(input.observations[0]).toMatchObject({
      code: { code: '718-7' },
      valueQuantity: { value: 100, unit: 'g/L' },
      referenceRange: { low: { value: 130, unit: 'g/L' }, text: '130-170' },
      interpretation: pb.Interpretation.INTERPRETATION_CRITICAL_LOW,
    });
    expect(input.observations[1]).toMatchObject({ valueText: 'film normal' });
  });

  it('serves a stored report back as standalone Observations with parseable ids', () => {
    const input = submitReportFromFhir(report);
    const stored = {
      ...input,
      id: 'r-1',
      performingLab: { odsCode: 'RR8', region: '' },
      version: 1,
      latestVersion: 1,
      mostSevereInterpretation: 0,
      severity: 0,
      contentHash: '',
    } as unknown as results.v1.Report;
    const obs = reportObservationsToFhir(stored);
    expect(obs.map((o) => o.id)).toEqual([observationId('r-1', 0), observationId('r-1', 1)]);
    expect(obs[0]!.valueQuantity).toEqual({
      value: 100,
      unit: 'g/L',
      system: 'http://unitsofmeasure.org',
      code: 'g/L',
    });
    expect(obs[0]!.category?.[0]?.coding?.[0]?.code).toBe('laboratory');
    expect(reportToFhir(stored).identifier?.[0]?.value).toBe('LAB-1');
    expect(parseObservationId('r-1-obs-1')).toEqual({ reportId: 'r-1', index: 1 });
    expect(parseObservationId('r-1')).toBeUndefined();
  });
});
