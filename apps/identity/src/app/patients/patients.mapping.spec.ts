import { identity } from '@trellis/contracts';
import { IdentityError } from './patients.errors';
import {
  changesFromPb,
  MappingProblems,
  namesFromPb,
  patientToPb,
  telecomFromPb,
} from './patients.mapping';

const pb = identity.v1;

describe('proto ⇄ domain mapping', () => {
  it('defaults unspecified uses and trims text', () => {
    const m = new MappingProblems();
    const names = namesFromPb(
      [
        {
          use: pb.NameUse.NAME_USE_UNSPECIFIED,
          family: ' Smith ',
          given: [' Ann '],
          prefix: [],
          period: { start: '', end: '' },
        },
      ],
      'patient.names',
      m,
    );
    expect(names).toEqual([{ use: 'usual', family: 'Smith', given: ['Ann'], prefix: [] }]);
    expect(m.violations).toEqual([]);
  });

  it('refuses unknown enum numbers and a missing telecom system with field paths', () => {
    const m = new MappingProblems();
    namesFromPb(
      [{ use: 42 as identity.v1.NameUse, family: 'X', given: [], prefix: [], period: undefined }],
      'patient.names',
      m,
    );
    telecomFromPb(
      [
        {
          system: pb.TelecomSystem.TELECOM_SYSTEM_UNSPECIFIED,
          value: '1',
          use: 0,
          period: undefined,
        },
      ],
      'patient.telecom',
      m,
    );
    expect(m.violations.map((v) => `${v.field}:${v.rule}`)).toEqual([
      'patient.names[0].use:enum.unknown',
      'patient.telecom[0].system:required',
    ]);
    expect(() => m.throwIfAny()).toThrow(IdentityError);
  });

  it('keeps only the changes that are present (field presence)', () => {
    const m = new MappingProblems();
    const ch = changesFromPb(
      {
        names: undefined,
        deceasedAt: undefined,
        addresses: undefined,
        telecom: undefined,
        gp: { odsCode: ' b82001 ', start: '' },
        birthDate: '2000-01-01',
      },
      m,
    );
    expect(ch).toEqual({ gp: { odsCode: 'B82001' }, birthDate: '2000-01-01' });
  });

  it('maps changes.deceased_at to a Date (absent stays absent)', () => {
    const m = new MappingProblems();
    const ch = changesFromPb(
      {
        names: undefined,
        addresses: undefined,
        telecom: undefined,
        gp: undefined,
        deceasedAt: { seconds: Date.parse('2026-11-20T14:05:00Z') / 1000, nanos: 500_000_000 },
      },
      m,
    );
    expect(ch).toEqual({ deceasedAt: new Date('2026-11-20T14:05:00.500Z') });
    m.throwIfAny();
  });

  it('maps a record to proto with the withholding visible', () => {
    const out = patientToPb({
      nhsNumber: '9990000018',
      names: [
        {
          use: 'maiden',
          family: 'Jones',
          given: ['Ann'],
          prefix: [],
          period: { end: '2001-01-01' },
        },
      ],
      gender: 'female',
      birthDate: '1970-01-01',
      addresses: [],
      telecom: [],
      gpHistory: [],
      confidentiality: 'restricted',
      version: 2,
      lastUpdated: new Date('2026-11-23T10:00:00.500Z'),
      supersededNhsNumbers: [],
      withheld: true,
      withheldFields: ['addresses'],
    });
    expect(out).toMatchObject({
      gender: pb.Gender.GENDER_FEMALE,
      confidentiality: pb.Confidentiality.CONFIDENTIALITY_RESTRICTED,
      withheld: true,
      lastUpdated: { seconds: 1795428000, nanos: 500_000_000 },
      names: [{ use: pb.NameUse.NAME_USE_MAIDEN, period: { start: '', end: '2001-01-01' } }],
    });
  });
});
