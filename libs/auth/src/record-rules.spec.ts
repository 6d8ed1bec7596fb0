import { patientRecordRules } from './record-rules';
import { defineScopeTable, sameRuleFor } from './scope-table';

const referral = patientRecordRules('ServiceRequest', {
  response: 'referral',
  requestId: 'referralId',
});
const answered = { referral: { id: 'r-1', nhsNumber: '9000000009' } };

describe('patientRecordRules', () => {
  it("gives each call the resource type's SMART scope, all of them patient data", () => {
    const rules = [
      referral.create(['nhsNumber']),
      referral.read,
      referral.update,
      referral.versions(['versions', 0, 'referral']),
      referral.worklist,
      referral.patientSearch,
    ];
    expect(rules.map((rule) => [rule.scope, rule.patientData])).toEqual([
      ['system/ServiceRequest.c', true],
      ['system/ServiceRequest.r', true],
      ['system/ServiceRequest.u', true],
      ['system/ServiceRequest.r', true],
      ['system/ServiceRequest.s', true],
      ['system/ServiceRequest.s', true],
    ]);
  });

  it('finds a call by id in the answer, or in the request when refused', () => {
    expect(referral.update.subject?.({ referralId: 'r-1' }, answered)).toEqual({
      resourceId: 'r-1',
      nhsNumber: '9000000009',
    });
    expect(referral.read.subject?.({ referralId: 'r-2' })).toEqual({
      resourceId: 'r-2',
      nhsNumber: undefined,
    });
  });

  it('finds a creation by the patient asked for and the record answered', () => {
    expect(referral.create(['nhsNumber']).subject?.({ nhsNumber: '9000000009' }, answered)).toEqual(
      { nhsNumber: '9000000009', resourceId: 'r-1' },
    );
  });

  it("finds a version read by the requested id and the version's patient", () => {
    const versions = referral.versions(['versions', 0, 'referral']);
    expect(
      versions.subject?.(
        { referralId: 'r-1' },
        { versions: [{ referral: { nhsNumber: '9000000009' } }] },
      ),
    ).toEqual({ resourceId: 'r-1', nhsNumber: '9000000009' });
  });

  it('lets a citizen search their own records only, and audits a worklist without a subject', () => {
    expect(referral.patientSearch.patientAccess).toBe(true);
    expect(referral.patientSearch.subject?.({ nhsNumber: '9000000009' })).toEqual({
      nhsNumber: '9000000009',
    });
    expect(referral.worklist).toEqual({ scope: 'system/ServiceRequest.s', patientData: true });
    expect(referral.update.patientAccess).toBeUndefined();
  });

  it("exports the region's population under its region scope", () => {
    expect(referral.populationExport).toMatchObject({
      scope: 'region/*/population.read',
      resourceType: 'ServiceRequest',
      action: 'E',
    });
  });
});

describe('sameRuleFor', () => {
  it("keys the rule by each method's full gRPC path", () => {
    const SERVICE = '/trellis.referrals.v1.ReferralService';
    const table = defineScopeTable(
      sameRuleFor(SERVICE, ['AcceptReferral', 'RejectReferral'], referral.update),
    );
    expect(table).toEqual({
      [`${SERVICE}/AcceptReferral`]: referral.update,
      [`${SERVICE}/RejectReferral`]: referral.update,
    });
  });
});
