import { subjectByResourceId } from './audit-subject';

describe('subjectByResourceId', () => {
  const byReportId = subjectByResourceId({ response: 'report', requestId: 'reportId' });

  it('takes the id and the patient from the response resource', () => {
    expect(
      byReportId({ reportId: 'r0' }, { report: { id: 'r1', nhsNumber: '9990000018' } }),
    ).toEqual({ resourceId: 'r1', nhsNumber: '9990000018' });
  });

  it('falls back to the requested id when there is no response (refused or failed call)', () => {
    expect(byReportId({ reportId: 'r0' })).toEqual({ resourceId: 'r0', nhsNumber: undefined });
    expect(byReportId({ reportId: 'r0' }, { report: { id: '', nhsNumber: '' } })).toEqual({
      resourceId: 'r0',
      nhsNumber: undefined,
    });
  });

  it('reads other field names where the resource names them so', () => {
    const byAuditId = subjectByResourceId({
      response: 'event',
      requestId: 'auditId',
      id: 'auditId',
      nhsNumber: 'patientNhsNumber',
    });
    expect(byAuditId({}, { event: { auditId: 'a1', patientNhsNumber: '9990000026' } })).toEqual({
      resourceId: 'a1',
      nhsNumber: '9990000026',
    });
  });
});
