import { records } from '@trellis/contracts';
import { FhirError, rulesOf } from '@trellis/fhir';

import {
  POINTER_SEARCH_PARAMS,
  pointerSearchField,
  pointerSearchFromFhir,
} from './document-reference.search';
import { SearchQuery } from './fhir.search';

const { PointerStatus } = records.v1;
const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';

const parse = (qs: string) =>
  pointerSearchFromFhir(
    new SearchQuery([...new URLSearchParams(qs)], POINTER_SEARCH_PARAMS, {
      maxCount: 50,
      defaultCount: 20,
      lenient: false,
    }),
  );

function refusal(qs: string): { status: number; rules: string[] } {
  try {
    parse(qs);
  } catch (e) {
    if (e instanceof FhirError) return { status: e.status, rules: rulesOf(e.outcome) };
    throw e;
  }
  throw new Error(`${qs} was accepted`);
}

describe('DocumentReference search parameters', () => {
  it('maps NRL’s consumer search onto the record locator’s request', () => {
    expect(
      parse(
        `subject:identifier=${NHS}|9990000018&type=http://snomed.info/sct|736253002,373942005` +
          `&custodian:identifier=${ODS}|RR8&status=current,entered-in-error` +
          '&date=ge2026-03&date=lt2026-03-15',
      ),
    ).toEqual({
      nhsNumber: '9990000018',
      typeCodes: ['736253002', '373942005'],
      custodianOdsCode: 'RR8',
      statuses: [PointerStatus.POINTER_STATUS_CURRENT, PointerStatus.POINTER_STATUS_DELETED],
      dateFrom: { seconds: Date.UTC(2026, 2, 1) / 1000, nanos: 0 },
      dateBefore: { seconds: Date.UTC(2026, 2, 15) / 1000, nanos: 0 },
    });
    // a date at day precision covers the whole day; gt starts after it, le ends with it
    expect(parse('patient=9990000018&date=gt2026-03-01&date=le2026-03-02')).toMatchObject({
      dateFrom: { seconds: Date.UTC(2026, 2, 2) / 1000 },
      dateBefore: { seconds: Date.UTC(2026, 2, 3) / 1000 },
      statuses: [],
      custodianOdsCode: '',
    });
  });

  it('answers no match when the criteria cannot all hold', () => {
    expect(parse('patient=9990000018&subject=Patient/9990000026')).toBeNull();
    expect(parse('patient=9990000018&date=ge2026-04&date=lt2026-03')).toBeNull();
  });

  it('refuses what it cannot take with a 400 naming the parameter', () => {
    expect(refusal('type=736253002')).toEqual({ status: 400, rules: ['search.patient'] });
    expect(refusal('patient=9990000018&custodian=RR8')).toEqual({
      status: 400,
      rules: ['search.custodian'],
    });
    expect(refusal(`patient=9990000018&custodian:identifier=${NHS}|RR8`).rules).toEqual([
      'search.custodian',
    ]);
    expect(refusal('patient=9990000018&status=preliminary').rules).toEqual(['search.status']);
    expect(refusal('patient=9990000018&type=http://loinc.org|1-8').rules).toEqual(['search.type']);
    expect(refusal('patient=9990000018&date=ne2026').rules).toEqual(['search.date']);
    expect(refusal('patient=9990000018&author=RR8').rules).toEqual(['search.unknown-parameter']);
    expect(refusal('patient=9990000018&custodian:missing=RR8').rules).toEqual([
      'search.unknown-parameter',
    ]);
  });

  it('names the search parameter of a platform field violation', () => {
    expect(
      ['type_codes[1]', 'statuses[0]', 'custodian_ods_code', 'date_before', 'page.page_size'].map(
        pointerSearchField,
      ),
    ).toEqual(['type', 'status', 'custodian', 'date', '_count']);
  });
});
