import { AppointmentsError, AppointmentsErrorCode } from './appointments.errors';
import { pageSize, Violations } from './validation';

describe('Violations', () => {
  it('collects every problem and throws them at once', () => {
    const v = new Violations();
    v.uuid('slot_id', 'nope');
    v.nhsNumber('nhs_number', '9990000019');
    v.odsCode('ods_code', 'a81001');
    expect(v.count).toBe(3);
    try {
      v.throwIfAny();
      throw new Error('expected a refusal');
    } catch (e) {
      const err = e as AppointmentsError;
      expect(err.code).toBe(AppointmentsErrorCode.InvalidArgument);
      expect(err.violations.map((x) => x.field)).toEqual(['slot_id', 'nhs_number', 'ods_code']);
      expect(err.violations[1]!.rule).toBe('nhs-number.check-digit-mismatch');
    }
  });

  it('normalises a valid NHS number', () => {
    const v = new Violations();
    expect(v.nhsNumber('nhs_number', '999 000 0018')).toBe('9990000018');
    expect(v.count).toBe(0);
  });

  it('defaults and bounds page sizes', () => {
    const v = new Violations();
    expect(pageSize(0, v)).toBe(50);
    expect(pageSize(10, v)).toBe(10);
    pageSize(501, v, 'page.page_size', 500);
    expect(v.count).toBe(1);
  });
});
