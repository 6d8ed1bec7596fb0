import { events, toTimestamp } from '@trellis/contracts';
import { PoisonMessageError } from '@trellis/events';

import { accessRowsOf, patientAuditId } from './access-row';

const event = (over: Partial<events.v1.AccessRecorded> = {}): events.v1.AccessRecorded =>
  events.v1.AccessRecorded.fromPartial({
    auditId: '0b7c2f3e-8d4a-4c1e-9f2b-6a5d4c3b2a19',
    recordedAt: toTimestamp(new Date('2026-12-06T20:00:00.000Z')),
    action: 'R',
    outcome: '0',
    interaction: 'GET /fhir/Patient',
    systemId: 'gp-system',
    odsCode: 'A81001',
    region: 'north-east',
    patientNhsNumber: '9990000018',
    resourceType: 'Patient',
    sourceService: 'gateway',
    requiredScope: 'system/Patient.s',
    ...over,
  });

describe('accessRowsOf', () => {
  it('one row for an access naming one patient', () => {
    const { row, more } = accessRowsOf(event());
    expect([row.auditId, row.patientNhsNumber, more]).toEqual([
      '0b7c2f3e-8d4a-4c1e-9f2b-6a5d4c3b2a19',
      '9990000018',
      [],
    ]);
  });

  it("a search's further patients each get their own row, naming only that patient", () => {
    const { row, more } = accessRowsOf(
      event({
        morePatientNhsNumbers: ['9990000026', '9990000034', '9990000026', '9990000018', 'x'],
      }),
    );
    expect(more.map((r) => r.patientNhsNumber)).toEqual(['9990000026', '9990000034']);
    for (const r of more) {
      expect({ ...r, auditId: row.auditId, patientNhsNumber: row.patientNhsNumber }).toEqual(row);
      expect(r.auditId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
    expect(new Set([row.auditId, ...more.map((r) => r.auditId)]).size).toBe(3);
  });

  it('derives the same ids on every replay (stored once), different per record and patient', () => {
    const id = patientAuditId('0b7c2f3e-8d4a-4c1e-9f2b-6a5d4c3b2a19', '9990000026');
    expect(patientAuditId('0b7c2f3e-8d4a-4c1e-9f2b-6a5d4c3b2a19', '9990000026')).toBe(id);
    expect(patientAuditId('0b7c2f3e-8d4a-4c1e-9f2b-6a5d4c3b2a19', '9990000034')).not.toBe(id);
    expect(patientAuditId('1b7c2f3e-8d4a-4c1e-9f2b-6a5d4c3b2a19', '9990000026')).not.toBe(id);
  });

  it('a malformed record is still poison', () => {
    expect(() =>
      accessRowsOf(event({ auditId: 'nope', morePatientNhsNumbers: ['9990000026'] })),
    ).toThrow(PoisonMessageError);
  });
});
