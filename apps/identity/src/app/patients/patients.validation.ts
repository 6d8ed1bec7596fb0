import { validateNhsNumber } from '@trellis/nhs-number';
import { practiceByOdsCode } from '../reference/ods-regions';
import { isIsoDate, isValidPostcode, normaliseName, normalisePostcode } from './normalise';
import { IdentityError, IdentityErrorCode, FieldViolation } from './patients.errors';
import type {
  Address,
  ContactPoint,
  HumanName,
  PatientChanges,
  PatientDetails,
  Period,
  TraceQuery,
} from './patient.model';

const MAX_NAMES = 10;
const MAX_ADDRESSES = 10;
const MAX_TELECOM = 10;
const MAX_TEXT = 100;
const EARLIEST_BIRTH = '1880-01-01';

export function today(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** Throws INVALID_NHS_NUMBER (INVALID_ARGUMENT) with the field path, or returns the 10 digits. */
export function requireNhsNumber(value: string | undefined, field: string): string {
  const result = validateNhsNumber(value);
  if (!result.valid) {
    const rule = result.problem === 'empty' ? 'required' : `nhs-number.${result.problem}`;
    throw new IdentityError(IdentityErrorCode.InvalidNhsNumber, `${field}: ${result.message}`, [
      { field, rule, message: result.message ?? 'invalid NHS number' },
    ]);
  }
  return result.normalised!;
}

class Collector {
  readonly violations: FieldViolation[] = [];
  add(field: string, rule: string, message: string): void {
    this.violations.push({ field, rule, message });
  }
  throwIfAny(): void {
    if (this.violations.length > 0) throw IdentityError.validation(this.violations);
  }
}

function checkText(c: Collector, field: string, value: string, required: boolean): void {
  if (required && value.trim() === '') c.add(field, 'required', 'is required');
  else if (value.length > MAX_TEXT)
    c.add(field, 'max-length', `must be at most ${MAX_TEXT} characters`);
}

function checkDate(c: Collector, field: string, value: string | undefined, now: string): void {
  if (value === undefined || value === '') return;
  if (!isIsoDate(value)) c.add(field, 'date.format', 'must be a date YYYY-MM-DD');
  else if (value > '2200-01-01') c.add(field, 'date.range', 'is too far in the future');
  void now;
}

function checkPeriod(c: Collector, field: string, period: Period | undefined, now: string): void {
  if (!period) return;
  checkDate(c, `${field}.start`, period.start, now);
  checkDate(c, `${field}.end`, period.end, now);
  if (
    period.start &&
    period.end &&
    isIsoDate(period.start) &&
    isIsoDate(period.end) &&
    period.start > period.end
  ) {
    c.add(`${field}.end`, 'period.order', 'must not be before start');
  }
}

function checkNames(c: Collector, field: string, names: HumanName[], now: string): void {
  if (names.length === 0) c.add(field, 'required', 'at least one name is required');
  if (names.length > MAX_NAMES) c.add(field, 'max-items', `at most ${MAX_NAMES} names`);
  names.forEach((n, i) => {
    const f = `${field}[${i}]`;
    checkText(c, `${f}.family`, n.family, true);
    if (n.family.trim() !== '' && normaliseName(n.family) === '') {
      c.add(`${f}.family`, 'name.letters', 'must contain letters');
    }
    n.given.forEach((g, j) => checkText(c, `${f}.given[${j}]`, g, true));
    n.prefix.forEach((p, j) => checkText(c, `${f}.prefix[${j}]`, p, true));
    checkPeriod(c, `${f}.period`, n.period, now);
  });
  const current = names.filter((n) => !n.period?.end && n.use !== 'old' && n.use !== 'maiden');
  if (names.length > 0 && current.length === 0)
    c.add(field, 'name.current', 'one name must be current (no period end)');
  if (current.length > 0 && current[0]!.given.length === 0) {
    c.add(
      `${field}[${names.indexOf(current[0]!)}].given`,
      'required',
      'the current name needs a given name',
    );
  }
}

function checkAddresses(c: Collector, field: string, addresses: Address[], now: string): void {
  if (addresses.length > MAX_ADDRESSES)
    c.add(field, 'max-items', `at most ${MAX_ADDRESSES} addresses`);
  addresses.forEach((a, i) => {
    const f = `${field}[${i}]`;
    if (a.lines.length === 0)
      c.add(`${f}.lines`, 'required', 'at least one address line is required');
    if (a.lines.length > 5) c.add(`${f}.lines`, 'max-items', 'at most 5 lines');
    a.lines.forEach((l, j) => checkText(c, `${f}.lines[${j}]`, l, true));
    checkText(c, `${f}.city`, a.city, false);
    checkText(c, `${f}.district`, a.district, false);
    if (a.postcode.trim() === '') c.add(`${f}.postcode`, 'required', 'is required');
    else if (!isValidPostcode(a.postcode))
      c.add(`${f}.postcode`, 'postcode.format', 'must be a full UK postcode');
    checkPeriod(c, `${f}.period`, a.period, now);
  });
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9 ()-]{6,20}$/;

function checkTelecom(c: Collector, field: string, telecom: ContactPoint[], now: string): void {
  if (telecom.length > MAX_TELECOM)
    c.add(field, 'max-items', `at most ${MAX_TELECOM} contact points`);
  telecom.forEach((t, i) => {
    const f = `${field}[${i}]`;
    if (t.value.trim() === '') c.add(`${f}.value`, 'required', 'is required');
    else if (t.system === 'email' && !EMAIL.test(t.value))
      c.add(`${f}.value`, 'email.format', 'must be an email address');
    else if (t.system !== 'email' && !PHONE.test(t.value))
      c.add(`${f}.value`, 'phone.format', 'must be a phone number');
    checkPeriod(c, `${f}.period`, t.period, now);
  });
}

function checkBirthDate(c: Collector, field: string, value: string | undefined, now: string): void {
  if (!value) c.add(field, 'required', 'is required');
  else if (!isIsoDate(value)) c.add(field, 'date.format', 'must be a date YYYY-MM-DD');
  else if (value > now) c.add(field, 'date.future', 'must not be in the future');
  else if (value < EARLIEST_BIRTH)
    c.add(field, 'date.range', `must not be before ${EARLIEST_BIRTH}`);
}

function checkOds(c: Collector, field: string, value: string | undefined): void {
  if (value === undefined || value === '') return;
  if (!practiceByOdsCode(value)) c.add(field, 'ods.unknown', 'is not a known GP practice ODS code');
}

/** Validates a registration; `gender` undefined means the caller left it unspecified. */
export function validateDetails(
  d: Omit<PatientDetails, 'gender'> & { gender?: PatientDetails['gender'] },
  prefix: string,
  now = today(),
): PatientDetails {
  const c = new Collector();
  checkNames(c, `${prefix}.names`, d.names, now);
  if (!d.gender) c.add(`${prefix}.gender`, 'required', 'is required');
  checkBirthDate(c, `${prefix}.birth_date`, d.birthDate, now);
  checkAddresses(c, `${prefix}.addresses`, d.addresses, now);
  checkTelecom(c, `${prefix}.telecom`, d.telecom, now);
  checkOds(c, `${prefix}.gp_ods_code`, d.gpOdsCode);
  if (d.gpStart) {
    if (!d.gpOdsCode) c.add(`${prefix}.gp_start`, 'requires', 'needs gp_ods_code');
    checkDate(c, `${prefix}.gp_start`, d.gpStart, now);
  }
  c.throwIfAny();
  return { ...d, gender: d.gender! };
}

export function validateChanges(ch: PatientChanges, prefix: string, now = today()): void {
  const c = new Collector();
  const keys = Object.keys(ch).filter((k) => ch[k as keyof PatientChanges] !== undefined);
  if (keys.length === 0) c.add(prefix, 'required', 'at least one field must change');
  if (ch.names) checkNames(c, `${prefix}.names.names`, ch.names, now);
  if (ch.birthDate !== undefined) checkBirthDate(c, `${prefix}.birth_date`, ch.birthDate, now);
  if (ch.addresses) checkAddresses(c, `${prefix}.addresses.addresses`, ch.addresses, now);
  if (ch.telecom) checkTelecom(c, `${prefix}.telecom.telecom`, ch.telecom, now);
  if (ch.gp) {
    checkOds(c, `${prefix}.gp.ods_code`, ch.gp.odsCode);
    checkDate(c, `${prefix}.gp.start`, ch.gp.start, now);
  }
  c.throwIfAny();
}

export const TRACE_MAX_RESULTS = 50;

export function validateTrace(q: TraceQuery): void {
  const c = new Collector();
  const fam = normaliseName(q.family);
  const hasName = fam !== '';
  const hasDob = !!(q.birthDate || q.birthDateFrom || q.birthDateTo);
  const pc = q.postcode ? normalisePostcode(q.postcode) : undefined;
  if (!hasName && !hasDob && !q.postcode && !q.gpOdsCode) {
    c.add(
      'family',
      'trace.criteria',
      'supply at least a family name, birth date, postcode or GP practice',
    );
  }
  if (q.family && !hasName) c.add('family', 'name.letters', 'must contain letters');
  if (q.given && normaliseName(q.given) === '')
    c.add('given', 'name.letters', 'must contain letters');
  if (q.birthDate && (q.birthDateFrom || q.birthDateTo)) {
    c.add('birth_date', 'trace.birth-date', 'give either birth_date or a birth_date_from/to range');
  }
  for (const [f, v] of [
    ['birth_date', q.birthDate],
    ['birth_date_from', q.birthDateFrom],
    ['birth_date_to', q.birthDateTo],
  ] as const) {
    if (v && !isIsoDate(v)) c.add(f, 'date.format', 'must be a date YYYY-MM-DD');
  }
  if (q.birthDateFrom && q.birthDateTo && q.birthDateFrom > q.birthDateTo) {
    c.add('birth_date_to', 'period.order', 'must not be before birth_date_from');
  }
  if (pc && pc.outward === '')
    c.add('postcode', 'postcode.format', 'must be a full or outward UK postcode');
  checkOds(c, 'gp_ods_code', q.gpOdsCode);
  if (q.maxResults < 0 || q.maxResults > TRACE_MAX_RESULTS) {
    c.add('max_results', 'range', `must be between 1 and ${TRACE_MAX_RESULTS}`);
  }
  if (q.minScore < 0 || q.minScore > 1) c.add('min_score', 'range', 'must be between 0 and 1');
  if (
    q.mode === 'exact' &&
    q.family !== undefined &&
    hasName &&
    !hasDob &&
    !q.given &&
    !q.postcode &&
    !q.gpOdsCode
  ) {
    c.add(
      'birth_date',
      'trace.criteria',
      'an exact trace by family name needs a birth date, given name or postcode',
    );
  }
  c.throwIfAny();
}
