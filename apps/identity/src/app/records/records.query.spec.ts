import {
  SEARCH_DEFAULT_PAGE_SIZE,
  validateExpectedVersion,
  validateHistoryPageSize,
  validatePointerSearch,
  validateVersion,
} from './records.query';

describe('validatePointerSearch', () => {
  it('normalises a search: current by default, custodian upper-cased, statuses deduplicated', () => {
    expect(validatePointerSearch({ nhsNumber: '999 000 0018' })).toEqual({
      nhsNumber: '9990000018',
      typeCodes: [],
      statuses: ['current'],
      take: SEARCH_DEFAULT_PAGE_SIZE,
      pageToken: '',
    });
    const from = new Date('2026-01-01T00:00:00Z');
    const before = new Date('2026-02-01T00:00:00Z');
    expect(
      validatePointerSearch({
        nhsNumber: '9990000018',
        typeCodes: [' 736253002 ', '736253002'],
        custodianOdsCode: 'rr8',
        statuses: ['superseded', 'current', 'superseded'],
        dateFrom: from,
        dateBefore: before,
        pageSize: 5,
      }),
    ).toMatchObject({
      typeCodes: ['736253002'],
      custodian: 'RR8',
      statuses: ['current', 'superseded'],
      from,
      before,
      take: 5,
    });
  });

  it('reports every problem at once, naming each field', () => {
    const at = new Date('2026-03-01T00:00:00Z');
    expect(() =>
      validatePointerSearch({
        nhsNumber: '9990000019',
        typeCodes: ['22298006'],
        custodianOdsCode: 'not an ods code',
        statuses: ['unspecified'],
        dateFrom: at,
        dateBefore: at,
        pageSize: 201,
      }),
    ).toThrow(
      expect.objectContaining({
        kind: 'INVALID_ARGUMENT',
        details: [
          expect.objectContaining({ field: 'nhs_number' }),
          expect.objectContaining({ field: 'type_codes[0]', rule: 'type.value-set' }),
          expect.objectContaining({ field: 'custodian_ods_code', rule: 'ods-code.format' }),
          expect.objectContaining({ field: 'statuses[0]', rule: 'status.value' }),
          expect.objectContaining({ field: 'date_before', rule: 'date.window' }),
          expect.objectContaining({ field: 'page.page_size' }),
        ],
      }),
    );
    expect(() => validatePointerSearch({})).toThrow(
      expect.objectContaining({ details: [expect.objectContaining({ rule: 'required' })] }),
    );
  });
});

describe('versions', () => {
  it('a vread version is required and positive; a negative or unsafe one names no version', () => {
    expect(validateVersion(3, 'p')).toBe(3);
    expect(() => validateVersion(0, 'p')).toThrow(
      expect.objectContaining({ kind: 'INVALID_ARGUMENT' }),
    );
    expect(() => validateVersion(-1, 'p')).toThrow(
      expect.objectContaining({ kind: 'NOT_FOUND', code: 'POINTER_VERSION_NOT_FOUND' }),
    );
  });

  it('an expected version of 0 is not checked; a negative one is refused', () => {
    expect(validateExpectedVersion(0)).toBeUndefined();
    expect(validateExpectedVersion(undefined)).toBeUndefined();
    expect(validateExpectedVersion(4)).toBe(4);
    expect(() => validateExpectedVersion(-4)).toThrow(
      expect.objectContaining({
        details: [expect.objectContaining({ field: 'expected_version' })],
      }),
    );
  });

  it('a history page size defaults and is bounded', () => {
    expect(validateHistoryPageSize(0)).toBe(SEARCH_DEFAULT_PAGE_SIZE);
    expect(validateHistoryPageSize(10)).toBe(10);
    expect(() => validateHistoryPageSize(500)).toThrow(
      expect.objectContaining({ kind: 'INVALID_ARGUMENT' }),
    );
  });
});
