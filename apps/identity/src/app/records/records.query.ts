import { isOdsCode, recordType } from '@trellis/codes';
import { validateNhsNumber } from '@trellis/nhs-number';
import type { FieldViolation } from '@trellis/service-kit';

import { RecordsError, RecordsErrorCode } from './records.errors';
import { POINTER_STATUSES, type PointerStatusName } from './records.repository';

export const SEARCH_DEFAULT_PAGE_SIZE = 50;
export const SEARCH_MAX_PAGE_SIZE = 200;

/** A pointer search as a request gives it (either door). */
export interface PointerSearchInput {
  nhsNumber?: string;
  typeCodes?: readonly string[];
  custodianOdsCode?: string;
  /** Status names; anything else (an unspecified enum value) is refused. */
  statuses?: readonly string[];
  dateFrom?: Date;
  dateBefore?: Date;
  pageSize?: number;
  pageToken?: string;
}

/** A validated search: one NHS number, record types, custodian, statuses and a date window. */
export interface PointerSearch {
  nhsNumber: string;
  typeCodes: string[];
  custodian?: string;
  statuses: PointerStatusName[];
  from?: Date;
  before?: Date;
  take: number;
  pageToken: string;
}

const isStatus = (s: string): s is PointerStatusName =>
  (POINTER_STATUSES as readonly string[]).includes(s);

/** Checks a search, reporting every problem at once (the record locator's one rule set). */
export function validatePointerSearch(q: PointerSearchInput): PointerSearch {
  const problems: FieldViolation[] = [];
  const add = (field: string, rule: string, message: string) =>
    problems.push({ field, rule, message });
  const nhs = validateNhsNumber(q.nhsNumber);
  if (!nhs.valid)
    add(
      'nhs_number',
      nhs.problem === 'empty' ? 'required' : `nhs-number.${nhs.problem}`,
      nhs.message ?? 'invalid NHS number',
    );
  const types = [...new Set((q.typeCodes ?? []).map((t) => t.trim()))];
  types.forEach((t, i) => {
    if (!recordType(t))
      add(
        `type_codes[${i}]`,
        'type.value-set',
        `${t.slice(0, 20)} is not a record type of the record locator's value set`,
      );
  });
  const custodian = (q.custodianOdsCode ?? '').trim().toUpperCase();
  if (custodian !== '' && !isOdsCode(custodian))
    add('custodian_ods_code', 'ods-code.format', `${custodian.slice(0, 20)} is not an ODS code`);
  const statuses: PointerStatusName[] = [];
  (q.statuses ?? []).forEach((s, i) => {
    if (isStatus(s)) {
      if (!statuses.includes(s)) statuses.push(s);
    } else add(`statuses[${i}]`, 'status.value', 'a status is CURRENT, SUPERSEDED or DELETED');
  });
  for (const [field, d] of [
    ['date_from', q.dateFrom],
    ['date_before', q.dateBefore],
  ] as const)
    if (d !== undefined && Number.isNaN(d.getTime()))
      add(field, 'timestamp.range', 'not a valid timestamp');
  if (q.dateFrom && q.dateBefore && !(q.dateFrom < q.dateBefore))
    add('date_before', 'date.window', 'date_before must be later than date_from');
  const size = q.pageSize ?? 0;
  if (!Number.isInteger(size) || size < 0 || size > SEARCH_MAX_PAGE_SIZE)
    add('page.page_size', 'page-size', `page_size must be 0–${SEARCH_MAX_PAGE_SIZE}`);
  if (problems.length > 0) throw RecordsError.validation(problems);
  return {
    nhsNumber: nhs.normalised!,
    typeCodes: types,
    ...(custodian ? { custodian } : {}),
    statuses: statuses.length ? statuses.sort() : ['current'],
    ...(q.dateFrom ? { from: q.dateFrom } : {}),
    ...(q.dateBefore ? { before: q.dateBefore } : {}),
    take: size || SEARCH_DEFAULT_PAGE_SIZE,
    pageToken: q.pageToken ?? '',
  };
}

/** A history page size: 0 = the default, at most the search maximum. */
export function validateHistoryPageSize(raw: number | undefined): number {
  const size = raw ?? 0;
  if (!Number.isInteger(size) || size < 0 || size > SEARCH_MAX_PAGE_SIZE)
    throw RecordsError.validation([
      {
        field: 'page.page_size',
        rule: 'page-size',
        message: `page_size must be 0–${SEARCH_MAX_PAGE_SIZE}`,
      },
    ]);
  return size || SEARCH_DEFAULT_PAGE_SIZE;
}

/** A requested version: required, and a positive integer (a negative one names no version). */
export function validateVersion(raw: number | undefined, id: string, field = 'version'): number {
  const v = raw ?? 0;
  if (v === 0)
    throw RecordsError.validation([
      { field, rule: 'required', message: 'the version is required' },
    ]);
  if (!Number.isSafeInteger(v) || v < 0)
    throw new RecordsError(
      RecordsErrorCode.PointerVersionNotFound,
      `pointer ${id} has no version ${String(v).slice(0, 20)}`,
    );
  return v;
}

/** The If-Match of a change: 0 = not checked, else a positive version. */
export function validateExpectedVersion(raw: number | undefined): number | undefined {
  const v = raw ?? 0;
  if (v === 0) return undefined;
  if (!Number.isSafeInteger(v) || v < 0)
    throw RecordsError.validation([
      {
        field: 'expected_version',
        rule: 'version.range',
        message: 'expected_version is a positive version (0 = not checked)',
      },
    ]);
  return v;
}
