import type {
  Address as FhirAddress,
  ContactPoint as FhirContactPoint,
  HumanName as FhirHumanName,
  Patient as FhirPatient,
  Period as FhirPeriod,
} from '@medplum/fhirtypes';
import { fromTimestamp, identity, toTimestamp } from '@trellis/contracts';
import type { FhirIssue } from '../outcome';
import { NHS_NUMBER_SYSTEM, ODS_ORGANISATION_SYSTEM } from '../systems';

type P = identity.v1.Patient;
const G = identity.v1.Gender;
const NU = identity.v1.NameUse;
const AU = identity.v1.AddressUse;
const TS = identity.v1.TelecomSystem;
const TU = identity.v1.TelecomUse;
const C = identity.v1.Confidentiality;

export const CONFIDENTIALITY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
export const OBSERVATION_VALUE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue';

type Gender = NonNullable<FhirPatient['gender']>;
const GENDER_TO_FHIR: Record<number, Gender | undefined> = {
  [G.GENDER_MALE]: 'male',
  [G.GENDER_FEMALE]: 'female',
  [G.GENDER_OTHER]: 'other',
  [G.GENDER_UNKNOWN]: 'unknown',
};
const GENDER_FROM_FHIR: Record<Gender, identity.v1.Gender> = {
  male: G.GENDER_MALE,
  female: G.GENDER_FEMALE,
  other: G.GENDER_OTHER,
  unknown: G.GENDER_UNKNOWN,
};
type NameUse = NonNullable<FhirHumanName['use']>;
const NAME_USE_TO_FHIR: Record<number, NameUse | undefined> = {
  [NU.NAME_USE_USUAL]: 'usual',
  [NU.NAME_USE_OFFICIAL]: 'official',
  [NU.NAME_USE_NICKNAME]: 'nickname',
  [NU.NAME_USE_MAIDEN]: 'maiden',
  [NU.NAME_USE_OLD]: 'old',
};
const NAME_USE_FROM_FHIR: Partial<Record<NameUse, identity.v1.NameUse>> = {
  usual: NU.NAME_USE_USUAL,
  official: NU.NAME_USE_OFFICIAL,
  nickname: NU.NAME_USE_NICKNAME,
  maiden: NU.NAME_USE_MAIDEN,
  old: NU.NAME_USE_OLD,
  temp: NU.NAME_USE_USUAL,
  anonymous: NU.NAME_USE_USUAL,
};
type AddressUse = NonNullable<FhirAddress['use']>;
const ADDRESS_USE_TO_FHIR: Record<number, AddressUse | undefined> = {
  [AU.ADDRESS_USE_HOME]: 'home',
  [AU.ADDRESS_USE_WORK]: 'work',
  [AU.ADDRESS_USE_TEMP]: 'temp',
  [AU.ADDRESS_USE_OLD]: 'old',
};
const ADDRESS_USE_FROM_FHIR: Partial<Record<AddressUse, identity.v1.AddressUse>> = {
  home: AU.ADDRESS_USE_HOME,
  work: AU.ADDRESS_USE_WORK,
  temp: AU.ADDRESS_USE_TEMP,
  old: AU.ADDRESS_USE_OLD,
  billing: AU.ADDRESS_USE_HOME,
};
type TelecomSystem = NonNullable<FhirContactPoint['system']>;
const TELECOM_SYSTEM_TO_FHIR: Record<number, TelecomSystem | undefined> = {
  [TS.TELECOM_SYSTEM_PHONE]: 'phone',
  [TS.TELECOM_SYSTEM_EMAIL]: 'email',
  [TS.TELECOM_SYSTEM_SMS]: 'sms',
};
const TELECOM_SYSTEM_FROM_FHIR: Partial<Record<TelecomSystem, identity.v1.TelecomSystem>> = {
  phone: TS.TELECOM_SYSTEM_PHONE,
  email: TS.TELECOM_SYSTEM_EMAIL,
  sms: TS.TELECOM_SYSTEM_SMS,
};
type TelecomUse = NonNullable<FhirContactPoint['use']>;
const TELECOM_USE_TO_FHIR: Record<number, TelecomUse | undefined> = {
  [TU.TELECOM_USE_HOME]: 'home',
  [TU.TELECOM_USE_WORK]: 'work',
  [TU.TELECOM_USE_MOBILE]: 'mobile',
  [TU.TELECOM_USE_TEMP]: 'temp',
  [TU.TELECOM_USE_OLD]: 'old',
};
const TELECOM_USE_FROM_FHIR: Record<TelecomUse, identity.v1.TelecomUse> = {
  home: TU.TELECOM_USE_HOME,
  work: TU.TELECOM_USE_WORK,
  mobile: TU.TELECOM_USE_MOBILE,
  temp: TU.TELECOM_USE_TEMP,
  old: TU.TELECOM_USE_OLD,
};

function periodToFhir(p: identity.v1.Period | undefined): FhirPeriod | undefined {
  if (!p || (!p.start && !p.end)) return undefined;
  return { ...(p.start ? { start: p.start } : {}), ...(p.end ? { end: p.end } : {}) };
}
function periodFromFhir(p: FhirPeriod | undefined): identity.v1.Period | undefined {
  if (!p) return undefined;
  return { start: (p.start ?? '').slice(0, 10), end: (p.end ?? '').slice(0, 10) };
}
function instant(ts: { seconds: number; nanos: number } | undefined): string | undefined {
  return ts ? fromTimestamp(ts).toISOString() : undefined;
}

/** identity.v1.Patient → FHIR R4 Patient (id = NHS number, meta.versionId = record version). */
export function patientToFhir(p: P): FhirPatient {
  const gender = GENDER_TO_FHIR[p.gender];
  const lastUpdated = instant(p.lastUpdated);
  const security = [
    ...(p.confidentiality === C.CONFIDENTIALITY_RESTRICTED
      ? [{ system: CONFIDENTIALITY_SYSTEM, code: 'R', display: 'restricted' }]
      : []),
    ...(p.withheld
      ? [{ system: OBSERVATION_VALUE_SYSTEM, code: 'REDACTED', display: 'redacted' }]
      : []),
  ];
  const links = [
    ...p.supersededNhsNumbers.map((n) => ({
      other: { reference: `Patient/${n}` },
      type: 'replaces' as const,
    })),
    ...(p.mergedIntoNhsNumber
      ? [{ other: { reference: `Patient/${p.mergedIntoNhsNumber}` }, type: 'replaced-by' as const }]
      : []),
  ];
  const gp = p.gp?.odsCode
    ? [
        {
          type: 'Organization' as const,
          identifier: { system: ODS_ORGANISATION_SYSTEM, value: p.gp.odsCode },
        },
      ]
    : [];
  return {
    resourceType: 'Patient',
    id: p.nhsNumber,
    meta: {
      versionId: String(p.version),
      ...(lastUpdated ? { lastUpdated } : {}),
      ...(security.length ? { security } : {}),
    },
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: p.nhsNumber }],
    ...(p.mergedIntoNhsNumber ? { active: false } : {}),
    name: p.names.map((n) => {
      const use = NAME_USE_TO_FHIR[n.use];
      const period = periodToFhir(n.period);
      return {
        ...(use ? { use } : {}),
        ...(n.family ? { family: n.family } : {}),
        ...(n.given.length ? { given: n.given } : {}),
        ...(n.prefix.length ? { prefix: n.prefix } : {}),
        ...(period ? { period } : {}),
      };
    }),
    ...(p.telecom.length
      ? {
          telecom: p.telecom.map((t) => {
            const system = TELECOM_SYSTEM_TO_FHIR[t.system];
            const use = TELECOM_USE_TO_FHIR[t.use];
            const period = periodToFhir(t.period);
            return {
              ...(system ? { system } : {}),
              value: t.value,
              ...(use ? { use } : {}),
              ...(period ? { period } : {}),
            };
          }),
        }
      : {}),
    ...(gender ? { gender } : {}),
    ...(p.birthDate ? { birthDate: p.birthDate } : {}),
    ...(p.deceasedAt ? { deceasedDateTime: instant(p.deceasedAt)! } : {}),
    ...(p.addresses.length
      ? {
          address: p.addresses.map((a) => {
            const use = ADDRESS_USE_TO_FHIR[a.use];
            const period = periodToFhir(a.period);
            return {
              ...(use ? { use } : {}),
              ...(a.lines.length ? { line: a.lines } : {}),
              ...(a.city ? { city: a.city } : {}),
              ...(a.district ? { district: a.district } : {}),
              ...(a.postcode ? { postalCode: a.postcode } : {}),
              ...(period ? { period } : {}),
            };
          }),
        }
      : {}),
    ...(gp.length ? { generalPractitioner: gp } : {}),
    ...(links.length ? { link: links } : {}),
  };
}

function namesFromFhir(names: FhirHumanName[] | undefined): identity.v1.HumanName[] {
  return (names ?? []).map((n) => ({
    use: (n.use && NAME_USE_FROM_FHIR[n.use]) || NU.NAME_USE_UNSPECIFIED,
    family: n.family ?? '',
    given: n.given ?? [],
    prefix: n.prefix ?? [],
    period: periodFromFhir(n.period),
  }));
}
function addressesFromFhir(addresses: FhirAddress[] | undefined): identity.v1.Address[] {
  return (addresses ?? []).map((a) => ({
    use: (a.use && ADDRESS_USE_FROM_FHIR[a.use]) || AU.ADDRESS_USE_UNSPECIFIED,
    lines: a.line ?? [],
    city: a.city ?? '',
    district: a.district ?? '',
    postcode: (a.postalCode ?? '').toUpperCase(),
    period: periodFromFhir(a.period),
  }));
}
function telecomFromFhir(telecom: FhirContactPoint[] | undefined): identity.v1.ContactPoint[] {
  return (telecom ?? []).map((t) => ({
    system: (t.system && TELECOM_SYSTEM_FROM_FHIR[t.system]) || TS.TELECOM_SYSTEM_UNSPECIFIED,
    value: t.value ?? '',
    use: t.use ? TELECOM_USE_FROM_FHIR[t.use] : TU.TELECOM_USE_UNSPECIFIED,
    period: periodFromFhir(t.period),
  }));
}
function confidentialityFromFhir(p: FhirPatient): identity.v1.Confidentiality {
  return (p.meta?.security ?? []).some((s) => s.system === CONFIDENTIALITY_SYSTEM && s.code === 'R')
    ? C.CONFIDENTIALITY_RESTRICTED
    : C.CONFIDENTIALITY_NORMAL;
}
function gpOdsCode(p: FhirPatient): string {
  const gp = (p.generalPractitioner ?? [])[0];
  return gp?.identifier?.system === ODS_ORGANISATION_SYSTEM ? (gp.identifier.value ?? '') : '';
}

/** A validated FHIR Patient → the registration details identity takes. */
export function patientDetailsFromFhir(p: FhirPatient): identity.v1.PatientDetails {
  return {
    names: namesFromFhir(p.name),
    gender: p.gender ? GENDER_FROM_FHIR[p.gender] : G.GENDER_UNSPECIFIED,
    birthDate: p.birthDate ?? '',
    addresses: addressesFromFhir(p.address),
    telecom: telecomFromFhir(p.telecom),
    gpOdsCode: gpOdsCode(p),
    gpStart: '',
    confidentiality: confidentialityFromFhir(p),
  };
}

/** Clock skew tolerated before a death counts as "in the future" (identity allows the same). */
const DEATH_CLOCK_SKEW_MS = 60_000;
const FULL_DATE = /^\d{4}-\d{2}-\d{2}/;

/** deceasedDateTime as an instant (a bare date is midnight UTC), or undefined below day precision. */
function deathInstant(p: FhirPatient): Date | undefined {
  const v = p.deceasedDateTime;
  if (!v || !FULL_DATE.test(v)) return undefined;
  const at = new Date(v.length === 10 ? `${v}T00:00:00Z` : v);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** Rule ids of a death recorded by a FHIR update (listed in TRELLIS_RULES). */
export const PATIENT_DEATH_RULES = {
  'patient.deceased.date-required':
    'A death is recorded with deceasedDateTime (deceasedBoolean alone is refused)',
  'patient.deceased.precision': 'deceasedDateTime is at least a full date (YYYY-MM-DD)',
  'patient.deceased.future': 'deceasedDateTime is not in the future',
  'patient.deceased.before-birth': 'deceasedDateTime is not before the birth date',
  'patient.deceased.correction':
    'An update does not remove or change a recorded death (corrections are a separate process)',
} as const;

const DEATH_EXPRESSION = 'Patient.deceasedDateTime';

function deathIssue(
  rule: keyof typeof PATIENT_DEATH_RULES,
  message: string,
  code: FhirIssue['code'] = 'business-rule',
): FhirIssue {
  return { severity: 'error', code, rule, expression: DEATH_EXPRESSION, message };
}

/**
 * The death a FHIR update (PUT Patient, PDS semantics) carries, checked against the current
 * record: a new deceasedDateTime records the death (not in the future, not before the birth
 * date — the one in the body when it changes too); the recorded date again is a no-op;
 * deceasedBoolean without a date, and removing or changing a recorded death, are refused.
 * Every problem is answered 422 with expression Patient.deceasedDateTime; [] = acceptable.
 */
export function patientDeathIssues(
  p: FhirPatient,
  current: P,
  now: Date = new Date(),
): FhirIssue[] {
  const recorded = current.deceasedAt ? fromTimestamp(current.deceasedAt) : undefined;
  if (p.deceasedBoolean === true && p.deceasedDateTime === undefined) {
    return [
      deathIssue(
        'patient.deceased.date-required',
        'deceasedBoolean is not accepted: a death is recorded with its date (deceasedDateTime)',
        'required',
      ),
    ];
  }
  if (p.deceasedDateTime === undefined) {
    return recorded
      ? [
          deathIssue(
            'patient.deceased.correction',
            `Patient/${current.nhsNumber} is recorded as deceased at ${recorded.toISOString()}; an update cannot remove it — corrections of a death are a separate process`,
          ),
        ]
      : [];
  }
  const at = deathInstant(p);
  if (!at) {
    return [
      deathIssue(
        'patient.deceased.precision',
        `deceasedDateTime ${p.deceasedDateTime} must be at least a full date (YYYY-MM-DD)`,
        'value',
      ),
    ];
  }
  if (recorded) {
    return recorded.getTime() === at.getTime()
      ? []
      : [
          deathIssue(
            'patient.deceased.correction',
            `Patient/${current.nhsNumber} is recorded as deceased at ${recorded.toISOString()}; an update cannot change it to ${at.toISOString()} — corrections of a death are a separate process`,
          ),
        ];
  }
  if (at.getTime() > now.getTime() + DEATH_CLOCK_SKEW_MS) {
    return [
      deathIssue(
        'patient.deceased.future',
        `deceasedDateTime ${p.deceasedDateTime} is in the future`,
      ),
    ];
  }
  const birthDate = p.birthDate ?? current.birthDate;
  if (birthDate && at.toISOString().slice(0, 10) < birthDate) {
    return [
      deathIssue(
        'patient.deceased.before-birth',
        `deceasedDateTime ${p.deceasedDateTime} is before the birth date ${birthDate}`,
      ),
    ];
  }
  return [];
}

/**
 * A validated FHIR Patient (full replacement, FHIR update semantics) → identity's field changes
 * against the current record: every demographic list is replaced; the GP changes only when the
 * practice differs (re-sending the same practice must not start a new registration); a
 * deceasedDateTime on a patient not yet deceased records the death in the same update (check it
 * first with patientDeathIssues; the recorded death is never sent again).
 */
export function patientChangesFromFhir(p: FhirPatient, current: P): identity.v1.PatientChanges {
  const ods = gpOdsCode(p);
  const currentOds = current.gp?.odsCode ?? '';
  const death = current.deceasedAt ? undefined : deathInstant(p);
  // A restricted record read without trellis/restricted.read came without address and telecom:
  // sent back without them, they are kept (not cleared); sent with them, identity refuses (403).
  const withheld = new Set(current.withheld ? current.withheldFields : []);
  const kept = (field: string, sent: readonly unknown[] | undefined) =>
    withheld.has(field) && (sent ?? []).length === 0;
  return {
    names: { names: namesFromFhir(p.name) },
    gender: p.gender ? GENDER_FROM_FHIR[p.gender] : G.GENDER_UNSPECIFIED,
    birthDate: p.birthDate ?? '',
    addresses: kept('addresses', p.address)
      ? undefined
      : { addresses: addressesFromFhir(p.address) },
    telecom: kept('telecom', p.telecom) ? undefined : { telecom: telecomFromFhir(p.telecom) },
    gp: ods !== currentOds ? { odsCode: ods, start: '' } : undefined,
    confidentiality: confidentialityFromFhir(p),
    deceasedAt: death ? toTimestamp(death) : undefined,
  };
}

/** identity field names (snake or camel, e.g. `patient.names[0].family`) → FHIRPath. */
export function patientFieldPath(field: string): string | undefined {
  const f = field.replace(/^(patient|changes)\./, '');
  const rules: Array<[RegExp, string]> = [
    [/^names(\[\d+\])?(\.|$)/, 'Patient.name'],
    [/^gender/, 'Patient.gender'],
    [/^birth_?[dD]ate/, 'Patient.birthDate'],
    [/^addresses/, 'Patient.address'],
    [/^telecom/, 'Patient.telecom'],
    [/^gp/, 'Patient.generalPractitioner'],
    [/^nhs_?[nN]umber/, 'Patient.identifier'],
    [/^confidentiality/, 'Patient.meta.security'],
    [/^deceased_?[aA]t/, DEATH_EXPRESSION],
  ];
  for (const [re, path] of rules) {
    if (re.test(f)) {
      const idx = /^\w+\[(\d+)\]/.exec(f)?.[1];
      return idx !== undefined ? `${path}[${idx}]` : path;
    }
  }
  return undefined;
}
