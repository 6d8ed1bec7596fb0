import type { DiagnosticReport } from '@medplum/fhirtypes';
import { results } from '@trellis/contracts';

import {
  observationId,
  parseObservationId,
  REPORT_CATEGORY_SYSTEM,
  REPORT_REQUESTER_EXTENSION,
  reportObservationsToFhir,
  reportToFhir,
  submitReportFromFhir,
  VERSION_REASON_EXTENSION,
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

  it('round-trips the requester extension, basedOn, category, status appended and the version reason', () => {
    const gmc = 'https://fhir.hl7.org.uk/Id/gmc-number';
    const sent: DiagnosticReport = {
      ...report,
      status: 'appended',
      category: [{ coding: [{ system: REPORT_CATEGORY_SYSTEM, code: 'LAB' }] }],
      extension: [
        {
          url: REPORT_REQUESTER_EXTENSION,
          extension: [
            {
              url: 'organization',
              valueReference: {
                type: 'Organization',
                identifier: {
                  system: 'https://fhir.nhs.uk/Id/ods-organization-code',
                  value: 'A81001',
                },
                extension: [
                  {
                    url: 'https://fhir.trellis.nhs.uk/StructureDefinition/region',
                    valueCode: 'north-east',
                  },
                ],
              },
            },
            { url: 'practitioner', valueIdentifier: { system: gmc, value: '1234567' } },
          ],
        },
        { url: VERSION_REASON_EXTENSION, valueString: 'film comment added' },
      ],
    };
    const input = submitReportFromFhir(sent);
    expect(input).toMatchObject({
      status: pb.ReportStatus.REPORT_STATUS_APPENDED,
      versionReason: 'film comment added',
      requester: { practitionerId: '1234567', practitionerSystem: gmc },
    });
    const back = reportToFhir({
      ...input,
      id: 'r-2',
      performingLab: { odsCode: 'RR8', region: 'north-east' },
      version: 2,
      latestVersion: 2,
      mostSevereInterpretation: 0,
      severity: 0,
      contentHash: '',
    } as unknown as results.v1.Report);
    expect(back.status).toBe('appended');
    expect(back.basedOn).toEqual([{ reference: 'ServiceRequest/ref-1' }]);
    expect(back.category?.[0]?.coding?.[0]).toMatchObject({
      system: REPORT_CATEGORY_SYSTEM,
      code: 'LAB',
    });
    expect(back.extension).toEqual(sent.extension);
    // an appended report's observations read as amended (Observation has no "appended")
    expect(back.contained?.map((c) => (c as { status: string }).status)).toEqual([
      'amended',
      'amended',
    ]);
    expect(submitReportFromFhir(back)).toMatchObject({
      requester: input.requester,
      referralId: 'ref-1',
      category: input.category,
      versionReason: 'film comment added',
    });
  });
});
