import { audit, toTimestamp } from '@trellis/contracts';

import { validateFhirResource } from '../validator';
import { accessInPlainTerms, auditEventToFhir, BALP_PROFILE_BASE } from './audit-event';

const access = (over: Partial<audit.v1.AccessEvent> = {}): audit.v1.AccessEvent =>
  audit.v1.AccessEvent.fromPartial({
    auditId: '0b9a3c52-8f64-4f8e-9b7c-6c1f0a7e2d11',
    recordedAt: toTimestamp(new Date('2026-12-06T20:30:00Z')),
    action: 'R',
    outcome: '0',
    interaction: 'GET /fhir/Patient/:id',
    systemId: 'demo-gp-riverside',
    odsCode: 'Y12345',
    region: 'north-east',
    patientNhsNumber: '9990000018',
    resourceType: 'Patient',
    resourceId: '9990000018',
    sourceService: 'gateway',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    requiredScope: 'system/Patient.r',
    purposeOfUse: 'TREAT',
    ...over,
  });

describe('auditEventToFhir (IHE BALP)', () => {
  it('maps who, what, action, outcome, purpose, when and trace, and is a valid R4 AuditEvent', () => {
    const r = auditEventToFhir(access({ userId: 'SDS-555' }));
    expect(validateFhirResource(r).valid).toBe(true);
    expect(r.meta?.profile).toEqual([`${BALP_PROFILE_BASE}PatientRead`]);
    expect(r).toMatchObject({
      id: '0b9a3c52-8f64-4f8e-9b7c-6c1f0a7e2d11',
      type: { code: 'rest' },
      action: 'R',
      outcome: '0',
      recorded: '2026-12-06T20:30:00.000Z',
      purposeOfEvent: [{ coding: [{ code: 'TREAT' }] }],
      source: { observer: { display: 'trellis gateway' } },
    });
    expect(r.agent.map((a) => [a.who?.identifier?.value, a.requestor])).toEqual([
      ['demo-gp-riverside', false],
      ['Y12345', false],
      ['SDS-555', true],
    ]);
    expect(r.entity?.map((e) => e.what?.reference ?? e.what?.identifier?.value)).toEqual([
      'Patient/9990000018',
      '0af7651916cd43dd8448eb211c80319c',
    ]);
  });

  it('names the resource touched besides the patient, and the denial', () => {
    const r = auditEventToFhir(
      access({
        action: 'C',
        outcome: '4',
        outcomeDescription: 'PERMISSION_DENIED: INSUFFICIENT_SCOPE',
        resourceType: 'DiagnosticReport',
        resourceId: 'r-1',
      }),
    );
    expect(validateFhirResource(r).valid).toBe(true);
    expect(r.meta?.profile).toEqual([`${BALP_PROFILE_BASE}PatientCreate`]);
    expect(r.entity?.[1]?.what?.reference).toBe('DiagnosticReport/r-1');
    expect(r.outcomeDesc).toBe('PERMISSION_DENIED: INSUFFICIENT_SCOPE');
  });

  it("tells the citizen in plain terms, and shows the patient's own read as theirs", () => {
    expect(accessInPlainTerms(access())).toBe(
      'demo-gp-riverside of organisation Y12345 read your patient record on 2026-12-06 20:30 UTC.',
    );
    const own = access({
      systemId: 'citizen:demo-1',
      odsCode: '',
      requiredScope: 'system/AuditEvent.s',
      purposeOfUse: 'PATRQT',
      resourceType: 'AuditEvent',
      resourceId: '',
    });
    expect(accessInPlainTerms(own)).toBe('You read your access log on 2026-12-06 20:30 UTC.');
    const r = auditEventToFhir(own);
    expect(validateFhirResource(r).valid).toBe(true);
    expect(r.agent[0]!.requestor).toBe(false);
    expect(r.agent[1]).toMatchObject({ who: { reference: 'Patient/9990000018' }, requestor: true });
    expect(r.text?.div).toContain('You read');
  });

  it('an unauthenticated denial without patient or system is still valid', () => {
    const r = auditEventToFhir(
      access({ systemId: '', odsCode: '', patientNhsNumber: '', resourceId: '', outcome: '4' }),
    );
    expect(validateFhirResource(r)).toMatchObject({ valid: true });
    expect(r.meta?.profile).toEqual([`${BALP_PROFILE_BASE}Read`]);
  });
});
