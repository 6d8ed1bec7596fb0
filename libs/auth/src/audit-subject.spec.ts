import {
  populationExportRule,
  subjectByResourceId,
  subjectOfCreation,
  subjectOfRequestedPatient,
  subjectOfVersions,
} from './audit-subject';

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

describe('subjectOfCreation', () => {
  const sent = subjectOfCreation({ nhsNumber: ['nhsNumber'], response: 'referral' });
  const submitted = subjectOfCreation({ nhsNumber: ['report', 'nhsNumber'], response: 'report' });

  it('takes the patient from the request and the id from the created record', () => {
    expect(sent({ nhsNumber: '9990000018' }, { referral: { id: 'r1' } })).toEqual({
      nhsNumber: '9990000018',
      resourceId: 'r1',
    });
    expect(submitted({ report: { nhsNumber: '9990000026' } }, { report: { id: 'd1' } })).toEqual({
      nhsNumber: '9990000026',
      resourceId: 'd1',
    });
  });

  it('names no record when nothing was created (refused or failed call)', () => {
    expect(sent({ nhsNumber: '9990000018' })).toEqual({
      nhsNumber: '9990000018',
      resourceId: undefined,
    });
    expect(submitted({})).toEqual({ nhsNumber: undefined, resourceId: undefined });
  });
});

describe('subjectOfVersions', () => {
  const versions = subjectOfVersions({
    requestId: 'referralId',
    answered: ['versions', 0, 'referral'],
  });

  it('takes the id from the request and the patient from the first version answered', () => {
    expect(
      versions(
        { referralId: 'r1' },
        { versions: [{ referral: { nhsNumber: '9990000018' } }, { referral: { nhsNumber: 'x' } }] },
      ),
    ).toEqual({ resourceId: 'r1', nhsNumber: '9990000018' });
  });

  it('names no patient without an answer or with an empty one', () => {
    expect(versions({ referralId: 'r1' })).toEqual({ resourceId: 'r1', nhsNumber: undefined });
    expect(versions({ referralId: 'r1' }, { versions: [] })).toEqual({
      resourceId: 'r1',
      nhsNumber: undefined,
    });
    expect(versions({ referralId: 'r1' }, { versions: [{ referral: { nhsNumber: '' } }] })).toEqual(
      { resourceId: 'r1', nhsNumber: undefined },
    );
  });
});

describe('subjectOfRequestedPatient', () => {
  it('takes the patient the request names, none for an empty one', () => {
    expect(subjectOfRequestedPatient()({ nhsNumber: '9990000018' })).toEqual({
      nhsNumber: '9990000018',
    });
    expect(subjectOfRequestedPatient()({ nhsNumber: '' })).toEqual({ nhsNumber: undefined });
    expect(
      subjectOfRequestedPatient(['patient', 'nhsNumber'])({ patient: { nhsNumber: '1' } }),
    ).toEqual({ nhsNumber: '1' });
  });
});

describe('populationExportRule', () => {
  it("is a patient-data export under some region's population-read scope, with no one subject", () => {
    const rule = populationExportRule('ServiceRequest');
    expect(rule).toMatchObject({
      scope: 'region/*/population.read',
      patientData: true,
      resourceType: 'ServiceRequest',
      action: 'E',
    });
    expect(rule.subject?.({ nhsNumbers: ['9990000018'] })).toEqual({});
  });
});
