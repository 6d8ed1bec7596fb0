import { FhirError, rulesOf } from '@trellis/fhir';

import { FHIR_ROUTES } from './fhir.routes';
import { patientParamSubject } from './platform-fhir.controller';
import { capabilityStatement } from './capability';
import {
  COMMON_SEARCH_PARAMS,
  conditionQuery,
  dateWindow,
  lenientHandling,
  PATIENT_PARAM,
  rawQuery,
  readPatientParam,
  SearchQuery,
  type FhirSearchParam,
} from './fhir.search';

const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
const TABLE: FhirSearchParam[] = [
  PATIENT_PARAM,
  { name: 'status', type: 'token', or: true, and: true, documentation: '' },
  { name: 'code', type: 'token', and: true, documentation: '' },
  { name: 'family', type: 'string', documentation: '' },
  { name: 'date', type: 'date', and: true, documentation: '' },
  { name: 'action', type: 'token', documentation: '' },
];

function parse(qs: string, opts: Partial<{ lenient: boolean; maxCount: number }> = {}) {
  return new SearchQuery([...new URLSearchParams(qs)], TABLE, {
    maxCount: opts.maxCount ?? 50,
    defaultCount: 20,
    lenient: opts.lenient ?? false,
  });
}

/** The status, rules and expressions a parse is refused with. */
function refusal(qs: string, opts: Partial<{ lenient: boolean }> = {}) {
  try {
    parse(qs, opts);
  } catch (e) {
    if (!(e instanceof FhirError)) throw e;
    return {
      status: e.status,
      rules: rulesOf(e.outcome),
      expressions: e.issues.map((i) => i.expression),
    };
  }
  throw new Error(`${qs} was not refused`);
}

describe('SearchQuery: only declared parameters are served', () => {
  it('refuses unknown parameters, modifiers, chains and common parameters it does not serve, naming each', () => {
    expect(refusal('patient=9000000009&foo=bar&_sort=date&status:not=final')).toEqual({
      status: 400,
      rules: ['search.unknown-parameter', 'search.unknown-parameter', 'search.unknown-parameter'],
      expressions: ['foo', '_sort', 'status:not'],
    });
    for (const q of ['patient.name=x', '_include=*', '_elements=id', 'patient:missing=true', '=x'])
      expect([q, refusal(q).rules]).toEqual([q, ['search.unknown-parameter']]);
  });

  it('serves only the common parameters a route allows (a GET operation: _format)', () => {
    const q = (qs: string) =>
      new SearchQuery([...new URLSearchParams(qs)], [], {
        maxCount: 50,
        defaultCount: 50,
        lenient: false,
        common: ['_format'],
      });
    expect(q('_format=json').has('_format')).toBe(true);
    for (const qs of ['_count=1', '_type=Observation', '_since=2020'])
      expect(() => q(qs)).toThrow(FhirError);
  });

  it('echoes a huge parameter name bounded', () => {
    const r = refusal(`${'x'.repeat(10_000)}=1`);
    expect(r.expressions[0]!.length).toBeLessThanOrEqual(65);
  });

  it('under Prefer: handling=lenient drops them from the links and names them', () => {
    const s = parse('patient=9000000009&foo=bar&_count=5&status:not=x', { lenient: true });
    expect(s.dropped).toEqual(['foo', 'status:not']);
    expect(s.link('https://x/fhir/DiagnosticReport')).toBe(
      'https://x/fhir/DiagnosticReport?patient=9000000009&_count=5',
    );
    // a bad value of a served parameter is still refused
    expect(refusal('_count=x', { lenient: true }).rules).toEqual(['search.count']);
  });

  it('reads Prefer: handling=lenient among other preferences', () => {
    expect(lenientHandling('return=minimal, handling=lenient')).toBe(true);
    expect(lenientHandling(['handling = lenient'])).toBe(true);
    expect(lenientHandling('handling=strict')).toBe(false);
    expect(lenientHandling(undefined)).toBe(false);
  });
});

describe('SearchQuery: repeated parameters are ANDed, comma lists ORed only where declared', () => {
  it('intersects token occurrences; occurrences that cannot all hold leave an empty set', () => {
    const read = (v: string) => v;
    expect([...parse('status=a,b&status=b,c').anyOf('status', read)!]).toEqual(['b']);
    expect(parse('code=x&code=y').anyOf('code', read)!.size).toBe(0);
    expect([...parse('code=x&code=x').anyOf('code', read)!]).toEqual(['x']);
    expect(parse('status=a').anyOf('code', read)).toBeUndefined();
    const patients = parse(`patient=9000000009&patient:identifier=${NHS}|9000000009`).anyOf(
      'patient',
      (v, m) => readPatientParam(v, m),
    );
    expect([...patients!]).toEqual(['9000000009']);
  });

  it('refuses an OR list where the parameter does not declare one, and a string repeated differently', () => {
    expect(refusal('code=x,y')).toMatchObject({
      rules: ['search.or-not-supported'],
      expressions: ['code'],
    });
    expect(refusal('family=Smith&family=Jones')).toMatchObject({
      rules: ['search.repeated-parameter'],
      expressions: ['family'],
    });
    expect(parse('family=Smith&family=Smith').one('family')).toBe('Smith');
    // a token whose handler does not declare AND is never narrowed to its first value
    expect(refusal('action=R&action=C').rules).toEqual(['search.repeated-parameter']);
    expect(parse('code=a\\,b').one('code')).toBe('a,b');
    expect(refusal('_count=5&_count=6').rules).toEqual(['search.repeated-parameter']);
  });

  it('ANDs dates into one window, empty when they cannot all hold', () => {
    const w = (...v: string[]) => {
      const r = dateWindow(v, 'date');
      return [r.from?.toISOString(), r.to?.toISOString(), r.empty];
    };
    expect(w('ge2025-01-01', 'le2025-02-01')).toEqual([
      '2025-01-01T00:00:00.000Z',
      '2025-02-02T00:00:00.000Z',
      false,
    ]);
    expect(w('ge1990', 'ge1970')).toEqual(['1990-01-01T00:00:00.000Z', undefined, false]);
    expect(w('ge1970', 'ge1990')).toEqual(['1990-01-01T00:00:00.000Z', undefined, false]);
    expect(w('2025-01', '2025-03')[2]).toBe(true);
    expect(w('lt2025-01-01', 'gt2025-06-01')[2]).toBe(true);
    expect(w('eq2025-01-01T10:00:00Z')).toEqual([
      '2025-01-01T10:00:00.000Z',
      '2025-01-01T10:00:01.000Z',
      false,
    ]);
    for (const bad of ['sa2025-01-01', 'ne2025', 'ap2025', 'yesterday', '2025-13'])
      expect(() => dateWindow([bad], 'date')).toThrow(FhirError);
  });
});

describe('SearchQuery: _count, _page_token, _total, _summary, _format', () => {
  it('validates _count as a non-negative integer and clamps it to the maximum', () => {
    expect(parse('').count).toBe(20);
    expect(parse('_count=0').count).toBe(0);
    expect(parse('_count=7').count).toBe(7);
    const clamped = parse('_count=100000&status=a');
    expect(clamped.count).toBe(50);
    expect(clamped.link('u')).toBe('u?_count=50&status=a');
    for (const bad of ['-1', '1.5', 'many', '', '1e3', ' 5', '0x10'])
      expect([bad, refusal(`_count=${bad}`).rules]).toEqual([bad, ['search.count']]);
    expect(parse('_summary=count&_count=9').count).toBe(0);
    expect(refusal('_summary=true').rules).toEqual(['search.summary']);
  });

  it('refuses a malformed page token, and replaces it in next links', () => {
    for (const bad of ['', 'a b', 'x'.repeat(2049), 'a/b', '{"s":1}'])
      expect(refusal(`_page_token=${encodeURIComponent(bad)}`).rules).toEqual([
        'search.page-token',
      ]);
    const s = parse('status=a&_page_token=abc&_count=2');
    expect(s.pageToken).toBe('abc');
    expect(s.link('u', { date: ['ge2025'] }, 'next-1')).toBe(
      'u?status=a&_count=2&date=ge2025&_page_token=next-1',
    );
  });

  it('serves _total=none and JSON _format only', () => {
    expect(parse('_total=none').wantTotal).toBe(false);
    expect(parse('_total=accurate').wantTotal).toBe(true);
    expect(refusal('_total=some').rules).toEqual(['search.total']);
    expect(parse('_format=application/fhir+json').count).toBe(20);
    expect(refusal('_format=xml')).toMatchObject({ status: 406 });
  });
});

describe('readPatientParam', () => {
  it('reads an NHS number, a Patient reference and the identifier modifier; refuses anything else', () => {
    expect(readPatientParam('9000000009', undefined)).toBe('9000000009');
    expect(readPatientParam('Patient/9000000009', undefined)).toBe('9000000009');
    expect(readPatientParam('https://api.example/fhir/Patient/9000000009', undefined)).toBe(
      '9000000009',
    );
    expect(readPatientParam(`${NHS}|9000000009`, 'identifier')).toBe('9000000009');
    for (const [v, m] of [
      ['9000000008', undefined],
      ['Practitioner/9000000009', undefined],
      ['https://other/system|9000000009', 'identifier'],
      ['9000000009', 'identifier'],
      [`${NHS}|9000000009`, undefined],
    ] as const)
      expect(() => readPatientParam(v, m)).toThrow(FhirError);
  });
});

describe('the access audit of a patient-scoped search', () => {
  it('records the patient however the search names it', () => {
    const subject = (qs: string) =>
      patientParamSubject({ originalUrl: `/fhir/X?${qs}` }, undefined);
    expect(subject('patient=Patient/9000000009')).toEqual({ nhsNumber: '9000000009' });
    expect(subject(`patient:identifier=${encodeURIComponent(`${NHS}|9000000009`)}`)).toEqual({
      nhsNumber: '9000000009',
    });
    expect(subject('code=x&patient=bad')).toEqual({});
  });
});

describe('one table drives validation and the CapabilityStatement', () => {
  const cap = capabilityStatement(FHIR_ROUTES, 'https://trellis.example', 'test');
  const searches = FHIR_ROUTES.filter((r) => r.interaction === 'search-type');

  it('declares, per resource type, exactly the parameters its search parses', () => {
    for (const route of searches) {
      const declared = cap.rest![0]!.resource!.find((r) => r.type === route.resource)!;
      const common = new Set(COMMON_SEARCH_PARAMS.map((c) => c.name));
      expect([route.resource, (declared.searchParam ?? []).map((p) => p.name)]).toEqual([
        route.resource,
        (route.searchParams ?? []).map((p) => p.name).filter((n) => !common.has(n)),
      ]);
      for (const p of (route.searchParams ?? []).filter((x) => !common.has(x.name))) {
        // every declared parameter is accepted by the parser built from the same table
        const q = new SearchQuery([[p.name, 'x']], route.searchParams ?? [], {
          maxCount: 50,
          defaultCount: 10,
          lenient: false,
        });
        expect(q.has(p.name)).toBe(true);
      }
    }
    expect(cap.rest![0]!.searchParam!.map((p) => p.name)).toEqual(
      COMMON_SEARCH_PARAMS.map((p) => p.name),
    );
  });

  it('declares the patient parameter (with its identifier modifier) on every patient-scoped search', () => {
    for (const type of ['ServiceRequest', 'DiagnosticReport', 'Observation', 'Appointment']) {
      const route = searches.find((r) => r.resource === type)!;
      const patient = route.searchParams?.find((p) => p.name === 'patient');
      expect([type, patient?.type, patient?.modifiers]).toEqual([
        type,
        'reference',
        ['identifier'],
      ]);
    }
  });

  it('reads the raw query in order, and conditional criteria against the same table', () => {
    expect(rawQuery({ originalUrl: '/fhir/X?a=1&b=2&a=3', url: '' })).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
    ]);
    expect(() => conditionQuery('name=x', TABLE)).toThrow(FhirError);
    expect(conditionQuery('?family=Smith', TABLE).one('family')).toBe('Smith');
  });
});
