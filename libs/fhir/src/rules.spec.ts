import { isValidLoincCode, isValidSnomedId, trellisRules } from './rules';

const ctx = { today: '2026-01-01' };
const rulesOf = (r: Record<string, unknown>) =>
  trellisRules(r, ctx).map((i) => `${i.rule}@${i.expression}`);

describe('terminology checks', () => {
  it('accepts real SNOMED CT ids and refuses a broken Verhoeff digit', () => {
    expect(isValidSnomedId('22298006')).toBe(true); // myocardial infarction
    expect(isValidSnomedId('183444007')).toBe(true); // referral to clinic
    expect(isValidSnomedId('22298007')).toBe(false);
    expect(isValidSnomedId('0123')).toBe(false);
  });

  it('accepts real LOINC codes and refuses a broken mod-10 digit', () => {
    expect(isValidLoincCode('2345-7')).toBe(true); // glucose
    expect(isValidLoincCode('718-7')).toBe(true); // haemoglobin
    expect(isValidLoincCode('2345-8')).toBe(false);
    expect(isValidLoincCode('2345')).toBe(false);
  });
});

describe('Trellis rules per resource', () => {
  const nhs = { reference: 'Patient/9434765919' };
  it('ServiceRequest: SNOMED code, requester and performer by ODS, subject by NHS number', () => {
    expect(
      rulesOf({
        resourceType: 'ServiceRequest',
        subject: { reference: 'Patient/9434765918' },
        code: { coding: [{ system: 'http://example.org', code: 'x' }] },
      }),
    ).toEqual([
      'nhs-number.check-digit@ServiceRequest.subject.reference',
      'terminology.snomed.required@ServiceRequest.code.coding',
      'service-request.requester@ServiceRequest.requester.identifier',
      'service-request.performer@ServiceRequest.performer[0]',
      'service-request.specialty@ServiceRequest.category[0]',
      'service-request.identifier@ServiceRequest.identifier',
    ]);
  });

  it('Observation: LOINC/SNOMED code and UCUM quantities', () => {
    expect(
      rulesOf({
        resourceType: 'Observation',
        status: 'final',
        subject: nhs,
        code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
        valueQuantity: { value: 5.4, system: 'http://unitsofmeasure.org', code: 'mmol/LL' },
      }),
    ).toEqual(['terminology.ucum.code@Observation.valueQuantity.code']);
    expect(
      rulesOf({
        resourceType: 'Observation',
        status: 'final',
        subject: nhs,
        code: { text: 'glucose' },
      }),
    ).toEqual([
      'terminology.loinc-or-snomed.required@Observation.code.coding',
      'observation.value@Observation.value[x]',
    ]);
  });

  it('Patient: a valid registration has no findings', () => {
    expect(
      rulesOf({
        resourceType: 'Patient',
        name: [{ family: 'Smith', given: ['Jo'] }],
        gender: 'unknown',
        birthDate: '2000-01-01',
      }),
    ).toEqual([]);
  });

  describe('DiagnosticReport', () => {
    const ok = {
      resourceType: 'DiagnosticReport',
      identifier: [{ system: 'https://fhir.trellis.nhs.uk/Id/lab-report-id', value: 'LAB-1' }],
      extension: [
        {
          url: 'https://fhir.trellis.nhs.uk/StructureDefinition/report-requester',
          extension: [
            {
              url: 'organization',
              valueReference: {
                identifier: {
                  system: 'https://fhir.nhs.uk/Id/ods-organization-code',
                  value: 'A81001',
                },
              },
            },
          ],
        },
      ],
      status: 'final',
      category: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] },
      ],
      code: { coding: [{ system: 'http://loinc.org', code: '58410-2' }] },
      subject: nhs,
      performer: [
        { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'RR8' } },
      ],
      contained: [
        {
          resourceType: 'Observation',
          id: 'a',
          status: 'final',
          subject: nhs,
          code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
          valueString: 'x',
        },
      ],
      result: [{ reference: '#a' }],
    };

    it('a complete report has no findings, on create and as an amended update with a reason', () => {
      expect(rulesOf(ok)).toEqual([]);
      const amended = {
        ...ok,
        status: 'amended',
        extension: [
          ...ok.extension,
          {
            url: 'https://fhir.trellis.nhs.uk/StructureDefinition/version-reason',
            valueString: 'typo',
          },
        ],
      };
      expect(trellisRules(amended, ctx, 'update')).toEqual([]);
    });

    it('needs identifier, category, requester, resolvable results, and a reason for a new version', () => {
      expect(
        rulesOf({
          ...ok,
          identifier: [{ system: 'http://example.org/other', value: 'LAB-1' }],
          category: [{ coding: [{ code: 'LAB' }] }],
          extension: [],
          result: [{ reference: '#a' }, { reference: '#missing' }, { reference: 'Observation/x' }],
        }),
      ).toEqual([
        'diagnostic-report.identifier@DiagnosticReport.identifier',
        'diagnostic-report.category@DiagnosticReport.category',
        'diagnostic-report.requester@DiagnosticReport.extension',
        'diagnostic-report.result-reference@DiagnosticReport.result[1].reference',
        'diagnostic-report.result-reference@DiagnosticReport.result[2].reference',
      ]);
      expect(
        trellisRules({ ...ok, status: 'corrected' }, ctx, 'update').map(
          (i) => `${i.rule}@${i.expression}`,
        ),
      ).toEqual(['diagnostic-report.version-reason@DiagnosticReport.extension']);
      // on create a version status is the platform's business (it needs an existing report)
      expect(rulesOf({ ...ok, status: 'corrected' })).toEqual([]);
      expect(rulesOf({ ...ok, status: 'entered-in-error' })).toEqual([
        'diagnostic-report.status@DiagnosticReport.status',
      ]);
    });

    it("checks the requester organisation's ODS code", () => {
      const bad = structuredClone(ok);
      bad.extension[0]!.extension[0]!.valueReference.identifier.value = 'a81001';
      expect(rulesOf(bad)).toEqual([
        'ods.format@DiagnosticReport.extension[0].extension[0].valueReference.identifier.value',
      ]);
    });

    it('takes every ODS code the platforms take (one syntax, @trellis/codes) and no longer one', () => {
      const long = structuredClone(ok);
      long.extension[0]!.extension[0]!.valueReference.identifier.value = 'ABCDE12345';
      expect(rulesOf(long)).toEqual([]);
      long.extension[0]!.extension[0]!.valueReference.identifier.value = 'ABCDE123456';
      expect(rulesOf(long)).toEqual([
        'ods.format@DiagnosticReport.extension[0].extension[0].valueReference.identifier.value',
      ]);
    });
  });
});
