import type { FieldViolation } from './errors';
import {
  patientBatchFindArgs,
  patientBatchQuery,
  patientBatchQueryOf,
  PATIENT_BATCH_MAX,
} from './patient-batch';

class Invalid extends Error {
  constructor(readonly violations: FieldViolation[]) {
    super(violations.map((v) => v.field).join(','));
  }
}
const refuse = (v: FieldViolation[]) => new Invalid(v);
const fieldsOf = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    return (e as Invalid).violations.map((v) => `${v.field}:${v.rule}`);
  }
  return [];
};
const ids = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  }));

describe('patientBatchQuery', () => {
  it('normalises, deduplicates and sorts the NHS numbers and pages by id', () => {
    const q = patientBatchQuery(
      { nhsNumbers: ['9990000042', '999 000 0018', '9990000018'], page: { pageSize: 2 } },
      refuse,
    );
    expect(q.nhsNumbers).toEqual(['9990000018', '9990000042']);
    expect(q.take).toBe(3);
    const first = q.page(ids(3));
    expect(first.rows).toHaveLength(2);
    expect(first.nextPageToken).not.toBe('');
    const next = patientBatchQuery(
      {
        nhsNumbers: ['9990000042', '9990000018'],
        page: { pageSize: 2, pageToken: first.nextPageToken },
      },
      refuse,
    );
    expect(next.afterId).toBe(ids(2)[1]!.id);
    expect(next.page(ids(1)).nextPageToken).toBe('');
  });

  it('refuses a token of another batch or another since, and every bad field at once', () => {
    const q = patientBatchQuery({ nhsNumbers: ['9990000018'], page: { pageSize: 1 } }, refuse);
    const token = q.page(ids(2)).nextPageToken;
    expect(
      fieldsOf(() =>
        patientBatchQuery({ nhsNumbers: ['9990000042'], page: { pageToken: token } }, refuse),
      ),
    ).toEqual(['page.page_token:page-token']);
    expect(
      fieldsOf(() =>
        patientBatchQuery(
          { nhsNumbers: ['9990000018'], updatedSince: new Date(), page: { pageToken: token } },
          refuse,
        ),
      ),
    ).toEqual(['page.page_token:page-token']);
    expect(fieldsOf(() => patientBatchQuery({ nhsNumbers: [] }, refuse))).toEqual([
      'nhs_numbers:required',
    ]);
    expect(
      fieldsOf(() => patientBatchQuery({ nhsNumbers: ['123'], page: { pageSize: 1001 } }, refuse)),
    ).toEqual(['nhs_numbers[0]:nhs-number.not-ten-digits', 'page.page_size:range']);
    const many = Array.from({ length: PATIENT_BATCH_MAX + 1 }, () => '9990000018');
    expect(fieldsOf(() => patientBatchQuery({ nhsNumbers: many }, refuse))).toEqual([
      'nhs_numbers:max-items',
    ]);
  });
});

describe('patientBatchQueryOf and patientBatchFindArgs', () => {
  it('reads the proto request and builds the keyset findMany arguments', () => {
    const since = new Date('2030-01-02T03:04:05.000Z');
    const first = patientBatchQueryOf(
      {
        nhsNumbers: ['9990000042', '9990000018'],
        updatedSince: { seconds: since.getTime() / 1000, nanos: 0 },
        page: { pageSize: 1, pageToken: '' },
      },
      refuse,
    );
    expect(first.updatedSince).toEqual(since);
    expect(patientBatchFindArgs(first, 'receivedAt')).toEqual({
      where: { nhsNumber: { in: ['9990000018', '9990000042'] }, receivedAt: { gte: since } },
      orderBy: { id: 'asc' },
      take: 2,
    });
    const token = first.page(ids(2)).nextPageToken;
    const second = patientBatchQueryOf(
      {
        nhsNumbers: ['9990000018', '9990000042'],
        updatedSince: { seconds: since.getTime() / 1000, nanos: 0 },
        page: { pageSize: 1, pageToken: token },
      },
      refuse,
    );
    expect(patientBatchFindArgs(second, 'updatedAt').where).toEqual({
      nhsNumber: { in: ['9990000018', '9990000042'] },
      updatedAt: { gte: since },
      id: { gt: ids(1)[0]!.id },
    });
  });
  it('leaves the change column out when no updated_since is asked', () => {
    const q = patientBatchQueryOf({ nhsNumbers: ['9990000018'] }, refuse);
    expect(patientBatchFindArgs(q, 'updatedAt').where).toEqual({
      nhsNumber: { in: ['9990000018'] },
    });
  });
});
