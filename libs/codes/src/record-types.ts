/**
 * The record locator's document types: a fixed SNOMED CT value set, as England's National Record
 * Locator fixes its pointer types (NRL "England-NRLRecordType" codes, plus the discharge summary
 * and the generic care plan Trellis's local systems register). A pointer of any other type is
 * refused: a consumer searching by type must be able to rely on the list being closed.
 */
export const SNOMED_SYSTEM = 'http://snomed.info/sct';

export interface RecordType {
  readonly code: string;
  readonly display: string;
}

export const RECORD_TYPES: readonly RecordType[] = [
  { code: '373942005', display: 'Discharge summary' },
  { code: '734163000', display: 'Care plan' },
  { code: '736253002', display: 'Mental health crisis plan' },
  { code: '887701000000100', display: 'Emergency health care plan' },
  { code: '861421000000109', display: 'End of life care coordination summary' },
  { code: '736373009', display: 'End of life care plan' },
  { code: '736366004', display: 'Advance care plan' },
  { code: '735324008', display: 'Treatment escalation plan' },
  { code: '325691000000100', display: 'Contingency plan' },
  {
    code: '1382601000000107',
    display: 'ReSPECT (Recommended Summary Plan for Emergency Care and Treatment) form',
  },
  { code: '2181441000000107', display: 'Personalised care and support plan' },
  { code: '16521000000101', display: 'Lloyd George record folder' },
  { code: '824321000000109', display: 'Summary record' },
  { code: '1363501000000100', display: 'Royal College of Physicians NEWS2 chart' },
];

const BY_CODE: ReadonlyMap<string, RecordType> = new Map(RECORD_TYPES.map((t) => [t.code, t]));

/** The record type of a SNOMED CT code, undefined when the code is not in the value set. */
export function recordType(code: string): RecordType | undefined {
  return BY_CODE.get(code);
}
