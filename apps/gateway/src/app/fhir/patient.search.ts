import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Patient } from '@medplum/fhirtypes';
import { identity } from '@trellis/contracts';
import {
  FhirError,
  fhirErrorFromPlatform,
  NHS_NUMBER_SYSTEM,
  patientFieldPath,
  patientToFhir,
  validateNhsNumber,
} from '@trellis/fhir';

import { dateWindow, type FhirSearchParam, type SearchQuery } from './fhir.search';
import { PlatformCallError, type ForwardContext, type PlatformClients } from './platform-clients';

// Patient search (PDS-style): the search table and the identifier lookup or trace it runs.

const G = identity.v1.Gender;

export const PATIENT_SEARCH_PARAMS: FhirSearchParam[] = [
  {
    name: 'identifier',
    type: 'token',
    and: true,
    documentation: `${NHS_NUMBER_SYSTEM}|<NHS number>: exact lookup (a merged number answers the survivor)`,
  },
  {
    name: 'family',
    type: 'string',
    documentation: 'Family name (phonetic and fuzzy matching unless _fuzzy-match=false)',
  },
  { name: 'given', type: 'string', documentation: 'Given name' },
  { name: 'gender', type: 'token', and: true, documentation: 'male | female | other | unknown' },
  {
    name: 'birthdate',
    type: 'date',
    and: true,
    documentation: 'YYYY-MM-DD, or a range with ge/le prefixes (repeat the parameter)',
  },
  {
    name: 'address-postalcode',
    type: 'string',
    documentation: 'Full or partial (outward) UK postcode',
  },
  {
    name: 'general-practitioner',
    type: 'token',
    and: true,
    documentation: 'ODS code of the registered practice',
  },
  {
    name: '_fuzzy-match',
    type: 'token',
    and: false,
    documentation: 'true (default) or false = exact matching only',
  },
  { name: '_min-score', type: 'number', documentation: 'Minimum match score 0..1 of a hit' },
];

/** The trace filters (identifier is an exact lookup and cannot be combined with them). */
const TRACE_PARAMS = [
  'family',
  'given',
  'gender',
  'birthdate',
  'address-postalcode',
  'general-practitioner',
];

const GENDERS: Record<string, identity.v1.Gender> = {
  male: G.GENDER_MALE,
  female: G.GENDER_FEMALE,
  other: G.GENDER_OTHER,
  unknown: G.GENDER_UNKNOWN,
};

/**
 * Identifier lookup or trace, every parameter ANDed; `search.count` hits at most (0: the total
 * only). A search whose parameters cannot all hold finds nothing.
 */
export async function findPatients(
  platforms: PlatformClients,
  search: SearchQuery,
  ctx: ForwardContext,
): Promise<{ hits: Array<{ patient: Patient; score?: number }>; total: number }> {
  const none = { hits: [], total: 0 };
  const count = search.count;
  const identifiers = search.anyOf('identifier', (identifier) => {
    const [system, value] = identifier.includes('|')
      ? identifier.split('|', 2)
      : [NHS_NUMBER_SYSTEM, identifier];
    if (system !== NHS_NUMBER_SYSTEM || !validateNhsNumber(value).valid) {
      throw FhirError.of(
        400,
        'invalid',
        system !== NHS_NUMBER_SYSTEM ? 'nhs-number.system' : 'nhs-number.check-digit',
        `identifier must be ${NHS_NUMBER_SYSTEM}|<valid NHS number>`,
        'identifier',
      );
    }
    return value!;
  });
  if (identifiers) {
    const combined = TRACE_PARAMS.find((p) => search.has(p));
    if (combined)
      throw FhirError.of(
        400,
        'not-supported',
        'search.identifier-combined',
        `identifier is an exact lookup: it cannot be combined with ${combined}`,
        combined,
      );
    if (identifiers.size !== 1) return none;
    try {
      const r = await platforms.call(
        platforms.patients.getPatient,
        { nhsNumber: [...identifiers][0] },
        ctx,
      );
      return { hits: count === 0 ? [] : [{ patient: patientToFhir(r.patient!) }], total: 1 };
    } catch (err) {
      if (err instanceof PlatformCallError && err.decoded.code === GrpcStatus.NOT_FOUND)
        return none;
      if (err instanceof PlatformCallError)
        throw fhirErrorFromPlatform(err.decoded, 'Patient', patientFieldPath);
      throw err;
    }
  }
  const fuzzy = search.one('_fuzzy-match') ?? 'true';
  if (fuzzy !== 'true' && fuzzy !== 'false')
    throw FhirError.of(
      400,
      'invalid',
      'search.fuzzy-match',
      '_fuzzy-match must be true or false',
      '_fuzzy-match',
    );
  const trace: identity.v1.TracePatientsRequest = {
    family: search.one('family') ?? '',
    given: search.one('given') ?? '',
    gender: G.GENDER_UNSPECIFIED,
    birthDate: '',
    birthDateFrom: '',
    birthDateTo: '',
    postcode: search.one('address-postalcode') ?? '',
    gpOdsCode: '',
    mode:
      fuzzy === 'false'
        ? identity.v1.TraceMode.TRACE_MODE_EXACT
        : identity.v1.TraceMode.TRACE_MODE_FUZZY,
    maxResults: Math.max(1, Math.min(count, 50)),
    minScore: 0,
    singleMatch: false,
  };
  const genders = search.anyOf('gender', (gender) => {
    const g = GENDERS[gender];
    if (g === undefined)
      throw FhirError.of(
        400,
        'invalid',
        'search.gender',
        `gender must be male, female, other or unknown`,
        'gender',
      );
    return g;
  });
  const practices = search.anyOf('general-practitioner', (v) =>
    (v.split('|').pop() ?? '').replace(/^Organization\//, '').toUpperCase(),
  );
  if (genders?.size === 0 || practices?.size === 0) return none;
  if (genders) trace.gender = [...genders][0]!;
  if (practices) trace.gpOdsCode = [...practices][0]!;
  const minScore = search.one('_min-score');
  if (minScore !== undefined) {
    const n = Number(minScore);
    if (!(n >= 0 && n <= 1))
      throw FhirError.of(
        400,
        'invalid',
        'search.min-score',
        '_min-score must be between 0 and 1',
        '_min-score',
      );
    trace.minScore = n;
  }
  const birthdates = search.values('birthdate');
  for (const raw of birthdates)
    if (!/^(eq|ge|gt|le|lt)?\d{4}(-\d{2}(-\d{2})?)?$/.test(raw))
      throw FhirError.of(
        400,
        'invalid',
        'search.birthdate',
        'birthdate must be [eq|ge|gt|le|lt]YYYY[-MM[-DD]] (repeat for a range)',
        'birthdate',
      );
  const born = dateWindow(birthdates, 'birthdate');
  if (born.empty) return none;
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const exact = new Set(birthdates.map((v) => v.replace(/^eq/, '')));
  if (exact.size === 1 && /^\d{4}-\d{2}-\d{2}$/.test([...exact][0]!))
    trace.birthDate = [...exact][0]!; // one exact date: fuzzy date matching applies
  else {
    if (born.from) trace.birthDateFrom = day(born.from);
    if (born.to) trace.birthDateTo = day(new Date(born.to.getTime() - 1));
  }
  let r: identity.v1.TracePatientsResponse;
  try {
    r = await platforms.call(platforms.patients.tracePatients, trace, ctx);
  } catch (err) {
    if (err instanceof PlatformCallError)
      throw fhirErrorFromPlatform(err.decoded, 'Patient', patientFieldPath);
    throw err;
  }
  return {
    hits:
      count === 0
        ? []
        : r.hits.map((h) => ({ patient: patientToFhir(h.patient!), score: h.score })),
    total: Math.max(r.totalAboveThreshold, r.hits.length),
  };
}
