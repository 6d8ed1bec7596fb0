import { fakerEN_GB as faker } from '@faker-js/faker';
import { DEMO_PRACTICES } from '../app/reference/ods-regions';
import type { Address, ContactPoint, Gender, HumanName } from '../app/patients/patient.model';

/** One synthetic person (faker en_GB), shaped like a registration. Deterministic for a given seed. */
export interface SyntheticPerson {
  names: HumanName[];
  gender: Gender;
  birthDate: string;
  addresses: Address[];
  telecom: ContactPoint[];
  gpOdsCode: string;
  gpRegion: string;
  gpStart: string;
  confidentiality: 'normal' | 'restricted';
}

export function seedFaker(seed: number): void {
  faker.seed(seed);
}

function iso(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function syntheticPerson(): SyntheticPerson {
  const female = faker.number.int({ min: 0, max: 99 }) < 51;
  const gender: Gender = female ? 'female' : 'male';
  const family = faker.person.lastName();
  const given = [faker.person.firstName(female ? 'female' : 'male')];
  if (faker.number.int({ min: 0, max: 99 }) < 40)
    given.push(faker.person.firstName(female ? 'female' : 'male'));
  const birth = faker.date.birthdate({
    min: 0,
    max: 100,
    mode: 'age',
    refDate: new Date('2026-11-01T00:00:00Z'),
  });
  const names: HumanName[] = [{ use: 'usual', family, given, prefix: [] }];
  if (female && faker.number.int({ min: 0, max: 99 }) < 8) {
    names.push({
      use: 'maiden',
      family: faker.person.lastName(),
      given,
      prefix: [],
      period: { end: '2010-06-01' },
    });
  }
  const home: Address = {
    use: 'home',
    lines: [faker.location.streetAddress()],
    city: faker.location.city(),
    district: '',
    postcode: faker.location.zipCode(),
  };
  const addresses: Address[] = [home];
  if (faker.number.int({ min: 0, max: 99 }) < 15) {
    addresses.push({
      use: 'old',
      lines: [faker.location.streetAddress()],
      city: faker.location.city(),
      district: '',
      postcode: faker.location.zipCode(),
      period: { end: '2022-03-31' },
    });
  }
  const telecom: ContactPoint[] = [
    { system: 'phone', value: faker.phone.number({ style: 'national' }), use: 'mobile' },
  ];
  const practice = faker.helpers.arrayElement(DEMO_PRACTICES);
  return {
    names,
    gender,
    birthDate: iso(birth),
    addresses,
    telecom,
    gpOdsCode: practice.odsCode,
    gpRegion: practice.region,
    gpStart: iso(
      faker.date.between({
        from: birth,
        to: new Date(Math.max(birth.getTime() + 86_400_000, Date.parse('2026-10-01T00:00:00Z'))),
      }),
    ),
    confidentiality: faker.number.int({ min: 0, max: 999 }) < 10 ? 'restricted' : 'normal',
  };
}
