import { enumCodes, enumValues, fromTimestamp, identity, toTimestamp } from '@trellis/contracts';
import type {
  Address,
  AddressUse,
  Confidentiality,
  ContactPoint,
  Gender,
  HumanName,
  NameUse,
  PatientChanges,
  PatientView,
  Period,
  TelecomSystem,
  TelecomUse,
  TraceMode,
} from './patient.model';
import { IdentityError } from './patients.errors';

/** proto ⇄ domain. Unknown enum numbers are refused with a field error, never guessed. */
const pb = identity.v1;

// the codes are the enums' value names (NAME_USE_NICKNAME: nickname); an unset use is the default
const GENDER: Record<number, Gender | undefined> = enumCodes(pb.Gender, 'GENDER_');
const GENDER_PB: Record<Gender, identity.v1.Gender> = enumValues(pb.Gender, 'GENDER_');
const NAME_USE: Record<number, NameUse> = {
  ...enumCodes(pb.NameUse, 'NAME_USE_'),
  [pb.NameUse.NAME_USE_UNSPECIFIED]: 'usual',
};
const ADDRESS_USE: Record<number, AddressUse> = {
  ...enumCodes(pb.AddressUse, 'ADDRESS_USE_'),
  [pb.AddressUse.ADDRESS_USE_UNSPECIFIED]: 'home',
};
const TELECOM_SYSTEM: Record<number, TelecomSystem | undefined> = enumCodes(
  pb.TelecomSystem,
  'TELECOM_SYSTEM_',
);
const TELECOM_USE: Record<number, TelecomUse | undefined> = {
  ...enumCodes(pb.TelecomUse, 'TELECOM_USE_'),
  [pb.TelecomUse.TELECOM_USE_UNSPECIFIED]: 'home',
};
const CONF: Record<number, Confidentiality | undefined> = {
  ...enumCodes(pb.Confidentiality, 'CONFIDENTIALITY_'),
  [pb.Confidentiality.CONFIDENTIALITY_UNSPECIFIED]: 'normal',
};
const NAME_USE_PB: Record<NameUse, number> = enumValues(pb.NameUse, 'NAME_USE_');
const ADDRESS_USE_PB: Record<AddressUse, number> = enumValues(pb.AddressUse, 'ADDRESS_USE_');
const TELECOM_SYSTEM_PB: Record<TelecomSystem, number> = enumValues(
  pb.TelecomSystem,
  'TELECOM_SYSTEM_',
);
const TELECOM_USE_PB: Record<TelecomUse, number> = enumValues(pb.TelecomUse, 'TELECOM_USE_');

/** Collects enum problems while mapping, thrown together with the validation errors. */
export class MappingProblems {
  readonly violations: { field: string; rule: string; message: string }[] = [];
  enumValue<T>(
    table: Record<number, T | undefined>,
    value: number | undefined,
    field: string,
    fallback?: T,
  ): T | undefined {
    if (value === undefined || value === null) return fallback;
    const mapped = table[value];
    if (mapped === undefined && value !== 0)
      this.violations.push({ field, rule: 'enum.unknown', message: `unknown value ${value}` });
    return mapped ?? fallback;
  }
  throwIfAny(): void {
    if (this.violations.length > 0) throw IdentityError.validation(this.violations);
  }
}

const str = (v: string | undefined | null) => (v ?? '').trim();

function period(p: identity.v1.Period | undefined): Period | undefined {
  if (!p || (!p.start && !p.end)) return undefined;
  return { ...(p.start ? { start: p.start.trim() } : {}), ...(p.end ? { end: p.end.trim() } : {}) };
}
const withPeriod = (p: Period | undefined) => (p ? { period: p } : {});

export function namesFromPb(
  names: identity.v1.HumanName[],
  field: string,
  m: MappingProblems,
): HumanName[] {
  return names.map((n, i) => ({
    use: m.enumValue(NAME_USE, n.use, `${field}[${i}].use`, 'usual')!,
    family: str(n.family),
    given: (n.given ?? []).map(str),
    prefix: (n.prefix ?? []).map(str),
    ...withPeriod(period(n.period)),
  }));
}

export function addressesFromPb(
  addresses: identity.v1.Address[],
  field: string,
  m: MappingProblems,
): Address[] {
  return addresses.map((a, i) => ({
    use: m.enumValue(ADDRESS_USE, a.use, `${field}[${i}].use`, 'home')!,
    lines: (a.lines ?? []).map(str),
    city: str(a.city),
    district: str(a.district),
    postcode: str(a.postcode).toUpperCase(),
    ...withPeriod(period(a.period)),
  }));
}

export function telecomFromPb(
  telecom: identity.v1.ContactPoint[],
  field: string,
  m: MappingProblems,
): ContactPoint[] {
  return telecom.map((t, i) => {
    const system = m.enumValue(TELECOM_SYSTEM, t.system, `${field}[${i}].system`);
    if (!system && !m.violations.some((v) => v.field === `${field}[${i}].system`)) {
      m.violations.push({
        field: `${field}[${i}].system`,
        rule: 'required',
        message: 'is required',
      });
    }
    return {
      system: system ?? 'phone',
      value: str(t.value),
      use: m.enumValue(TELECOM_USE, t.use, `${field}[${i}].use`, 'home')!,
      ...withPeriod(period(t.period)),
    };
  });
}

export function genderFromPb(
  value: number | undefined,
  field: string,
  m: MappingProblems,
): Gender | undefined {
  return m.enumValue(GENDER, value, field);
}

export function confidentialityFromPb(
  value: number | undefined,
  field: string,
  m: MappingProblems,
): Confidentiality {
  return m.enumValue(CONF, value, field, 'normal')!;
}

export function traceModeFromPb(value: number | undefined): TraceMode {
  return value === pb.TraceMode.TRACE_MODE_EXACT ? 'exact' : 'fuzzy';
}

export function changesFromPb(
  ch: identity.v1.PatientChanges | undefined,
  m: MappingProblems,
): PatientChanges {
  if (!ch) return {};
  const out: PatientChanges = {};
  if (ch.names) out.names = namesFromPb(ch.names.names ?? [], 'changes.names.names', m);
  if (ch.gender !== undefined && ch.gender !== null) {
    const g = genderFromPb(ch.gender, 'changes.gender', m);
    if (g) out.gender = g;
    else if (ch.gender === 0)
      m.violations.push({ field: 'changes.gender', rule: 'required', message: 'must be a gender' });
  }
  if (ch.birthDate !== undefined && ch.birthDate !== null) out.birthDate = ch.birthDate.trim();
  if (ch.addresses)
    out.addresses = addressesFromPb(ch.addresses.addresses ?? [], 'changes.addresses.addresses', m);
  if (ch.telecom)
    out.telecom = telecomFromPb(ch.telecom.telecom ?? [], 'changes.telecom.telecom', m);
  if (ch.gp)
    out.gp = {
      odsCode: str(ch.gp.odsCode).toUpperCase(),
      ...(ch.gp.start ? { start: ch.gp.start.trim() } : {}),
    };
  if (ch.confidentiality !== undefined && ch.confidentiality !== null) {
    out.confidentiality = confidentialityFromPb(ch.confidentiality, 'changes.confidentiality', m);
  }
  if (ch.deceasedAt) out.deceasedAt = fromTimestamp(ch.deceasedAt);
  return out;
}

const periodPb = (p: Period | undefined): identity.v1.Period | undefined =>
  p ? { start: p.start ?? '', end: p.end ?? '' } : undefined;

export function patientToPb(v: PatientView): identity.v1.Patient {
  return {
    nhsNumber: v.nhsNumber,
    names: v.names.map((n) => ({
      use: NAME_USE_PB[n.use],
      family: n.family,
      given: n.given,
      prefix: n.prefix,
      period: periodPb(n.period),
    })),
    gender: GENDER_PB[v.gender],
    birthDate: v.birthDate,
    deceasedAt: v.deceasedAt ? toTimestamp(v.deceasedAt) : undefined,
    addresses: v.addresses.map((a) => ({
      use: ADDRESS_USE_PB[a.use],
      lines: a.lines,
      city: a.city,
      district: a.district,
      postcode: a.postcode,
      period: periodPb(a.period),
    })),
    telecom: v.telecom.map((t) => ({
      system: TELECOM_SYSTEM_PB[t.system],
      value: t.value,
      use: TELECOM_USE_PB[t.use],
      period: periodPb(t.period),
    })),
    gp: v.gp
      ? { odsCode: v.gp.odsCode, region: v.gp.region, period: periodPb(v.gp.period) }
      : undefined,
    gpHistory: v.gpHistory.map((g) => ({
      odsCode: g.odsCode,
      region: g.region,
      period: periodPb(g.period),
    })),
    confidentiality:
      v.confidentiality === 'restricted'
        ? pb.Confidentiality.CONFIDENTIALITY_RESTRICTED
        : pb.Confidentiality.CONFIDENTIALITY_NORMAL,
    version: v.version,
    lastUpdated: toTimestamp(v.lastUpdated),
    withheld: v.withheld,
    withheldFields: v.withheldFields,
    supersededNhsNumbers: v.supersededNhsNumbers,
    mergedIntoNhsNumber: v.mergedInto ?? '',
  };
}
