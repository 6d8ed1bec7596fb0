import { RECORD_TYPES, recordType } from './record-types';
import { sctidProblem } from './snomed';

describe('record-locator record types', () => {
  it('holds only valid SNOMED CT concept ids, each once', () => {
    for (const t of RECORD_TYPES)
      expect([t.code, sctidProblem(t.code)]).toEqual([t.code, undefined]);
    expect(new Set(RECORD_TYPES.map((t) => t.code)).size).toBe(RECORD_TYPES.length);
  });

  it('includes the discharge summary, care plan and mental-health crisis plan', () => {
    expect(recordType('373942005')?.display).toBe('Discharge summary');
    expect(recordType('734163000')?.display).toBe('Care plan');
    expect(recordType('736253002')?.display).toBe('Mental health crisis plan');
  });

  it('refuses codes outside the value set', () => {
    expect(recordType('22298006')).toBeUndefined(); // a valid SCTID (myocardial infarction)
    expect(recordType('')).toBeUndefined();
  });
});
