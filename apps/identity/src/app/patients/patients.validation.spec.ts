import { IdentityError } from './patients.errors';
import {
  requireNhsNumber,
  validateChanges,
  validateDetails,
  validateTrace,
} from './patients.validation';
import type { PatientDetails } from './patient.model';

function details(over: Partial<PatientDetails> = {}): PatientDetails {
  return {
    names: [{ use: 'usual', family: 'Smith', given: ['John'], prefix: [] }],
    gender: 'male',
    birthDate: '1980-03-07',
    addresses: [
      { use: 'home', lines: ['1 High St'], city: 'Leeds', district: '', postcode: 'LS1 4AP' },
    ],
    telecom: [{ system: 'email', value: 'john@example.org', use: 'home' }],
    gpOdsCode: 'B82001',
    confidentiality: 'normal',
    ...over,
  };
}

function violations(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof IdentityError) return e.details.map((d) => `${d.field}:${d.rule}`);
    throw e;
  }
  return [];
}

describe('validateDetails', () => {
  it('accepts a complete registration', () => {
    expect(violations(() => validateDetails(details(), 'patient', '2026-11-23'))).toEqual([]);
  });

  it('collects every problem with its field path', () => {
    const v = violations(() =>
      validateDetails(
        details({
          names: [
            {
              use: 'old',
              family: '',
              given: [],
              prefix: [],
              period: { start: '2020-01-01', end: '2019-01-01' },
            },
          ],
          gender: undefined as unknown as PatientDetails['gender'],
          birthDate: '1980-02-30',
          addresses: [{ use: 'home', lines: [], city: '', district: '', postcode: 'LS1' }],
          telecom: [{ system: 'email', value: 'nope', use: 'home' }],
          gpOdsCode: 'XX000',
        }),
        'patient',
        '2026-11-23',
      ),
    );
    expect(v.sort()).toEqual(
      [
        'patient.names[0].family:required',
        'patient.names[0].period.end:period.order',
        'patient.names:name.current',
        'patient.gender:required',
        'patient.birth_date:date.format',
        'patient.addresses[0].lines:required',
        'patient.addresses[0].postcode:postcode.format',
        'patient.telecom[0].value:email.format',
        'patient.gp_ods_code:ods.unknown',
      ].sort(),
    );
  });

  it('refuses future and implausibly old birth dates', () => {
    expect(
      violations(() => validateDetails(details({ birthDate: '2026-12-01' }), 'p', '2026-11-23')),
    ).toEqual(['p.birth_date:date.future']);
    expect(
      violations(() => validateDetails(details({ birthDate: '1850-01-01' }), 'p', '2026-11-23')),
    ).toEqual(['p.birth_date:date.range']);
  });
});

describe('validateChanges', () => {
  it('needs at least one change', () => {
    expect(violations(() => validateChanges({}, 'changes'))).toEqual(['changes:required']);
  });
  it('checks the fields that are present', () => {
    expect(
      violations(() =>
        validateChanges({ birthDate: 'x', gp: { odsCode: 'NOPE1' } }, 'changes'),
      ).sort(),
    ).toEqual(['changes.birth_date:date.format', 'changes.gp.ods_code:ods.unknown']);
    expect(violations(() => validateChanges({ gp: { odsCode: '' } }, 'changes'))).toEqual([]);
  });
});

describe('validateTrace', () => {
  const q = { mode: 'fuzzy' as const, maxResults: 10, minScore: 0.8 };
  it('needs some criteria', () => {
    expect(violations(() => validateTrace(q))).toEqual(['family:trace.criteria']);
    expect(violations(() => validateTrace({ ...q, postcode: 'LS1' }))).toEqual([]);
  });
  it('refuses a date with a range, bad dates, bad ranges and caps', () => {
    expect(
      violations(() =>
        validateTrace({
          ...q,
          family: 'X',
          birthDate: '1980-01-01',
          birthDateFrom: '1981-01-01',
          birthDateTo: '1980-01-01',
          maxResults: 51,
        }),
      ).sort(),
    ).toEqual(
      ['birth_date:trace.birth-date', 'birth_date_to:period.order', 'max_results:range'].sort(),
    );
  });
});

describe('requireNhsNumber', () => {
  it('returns the digits of a valid number and a precise rule otherwise', () => {
    expect(requireNhsNumber('943 476 5919', 'nhs_number')).toBe('9434765919');
    expect(violations(() => requireNhsNumber('9434765918', 'nhs_number'))).toEqual([
      'nhs_number:nhs-number.check-digit-mismatch',
    ]);
    expect(violations(() => requireNhsNumber('', 'nhs_number'))).toEqual(['nhs_number:required']);
    expect(violations(() => requireNhsNumber('12345', 'x'))).toEqual([
      'x:nhs-number.not-ten-digits',
    ]);
  });
});
