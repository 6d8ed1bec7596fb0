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
});
