import type { ServiceRequest } from '@medplum/fhirtypes';
import { referrals, toTimestamp } from '@trellis/contracts';

import { validateFhirResource } from '../validator';
import { referralChangesFromFhir, referralFieldPath } from './referral-update';
import { referralToFhir } from './summaries';

const V = referrals.v1;
const current: referrals.v1.Referral = V.Referral.fromPartial({
  id: '3f1c2b1e-1111-4222-8333-444455556666',
  nhsNumber: '9434765919',
  referrer: { odsCode: 'A81001', region: 'north-east', practitionerId: 'G8123456' },
  target: { odsCode: 'RR8', region: 'north-east', specialtyCode: 'cardiology' },
  priority: V.ReferralPriority.REFERRAL_PRIORITY_ROUTINE,
  reason: { code: '29857009', display: 'Chest pain' },
  clinicalSummary: 'Exertional chest pain',
  status: V.ReferralStatus.REFERRAL_STATUS_ACCEPTED,
  sentAt: toTimestamp(new Date('2026-11-20T10:00:00Z')),
  updatedAt: toTimestamp(new Date('2026-11-21T10:00:00Z')),
  version: 2,
  idempotencyKey: 'req-0000001',
});

describe('referralChangesFromFhir (ServiceRequest update)', () => {
  it('a read ServiceRequest is a valid update body and changes nothing immutable', () => {
    const read = referralToFhir(current);
    expect(validateFhirResource(read, { resourceType: 'ServiceRequest', mode: 'update' })).toEqual({
      valid: true,
      status: 200,
      issues: [],
    });
    expect(
      validateFhirResource(read, { resourceType: 'ServiceRequest', mode: 'create' }).valid,
    ).toBe(false); // requester as organisation is accepted on update only
    const edited: ServiceRequest = {
      ...read,
      priority: 'asap',
      code: {
        coding: [{ system: 'http://snomed.info/sct', code: '230690007', display: 'Stroke' }],
      },
      note: [{ text: 'one' }, { text: 'two' }],
    };
    expect(referralChangesFromFhir(edited, current)).toEqual({
      update: {
        priority: V.ReferralPriority.REFERRAL_PRIORITY_TWO_WEEK_WAIT,
        reason: { code: '230690007', display: 'Stroke' },
        clinicalSummary: 'one\ntwo',
        note: '',
      },
      immutable: [],
    });
  });

  it('names every immutable element changed, once each', () => {
    const read = referralToFhir(current);
    const changed: ServiceRequest = {
      ...read,
      status: 'completed',
      intent: 'plan',
      authoredOn: '2026-11-22T10:00:00Z',
      subject: { reference: 'Patient/9000000009' },
      requester: { identifier: { system: 'https://fhir.nhs.uk/Id/sds-user-id', value: 'G1' } },
      performer: [{ ...read.performer![0]!, extension: [] }],
      category: [{ coding: [{ code: 'neurology' }] }],
      identifier: [{ system: 'https://fhir.trellis.nhs.uk/Id/referral-request', value: 'other-1' }],
    };
    const { immutable } = referralChangesFromFhir(changed, current);
    expect(immutable.map((i) => [i.rule, i.code, i.expression])).toEqual(
      [
        'ServiceRequest.subject',
        'ServiceRequest.requester',
        'ServiceRequest.performer[0].extension',
        'ServiceRequest.category[0]',
        'ServiceRequest.identifier',
        'ServiceRequest.status',
        'ServiceRequest.intent',
        'ServiceRequest.authoredOn',
      ].map((e) => ['service-request.immutable', 'business-rule', e]),
    );
    // identifier and authoredOn may be left out; the practitioner it was sent by is accepted
    const minimal: ServiceRequest = {
      ...read,
      identifier: undefined,
      authoredOn: undefined,
      requester: {
        identifier: { system: 'https://fhir.nhs.uk/Id/sds-user-id', value: 'G8123456' },
      },
    };
    expect(referralChangesFromFhir(minimal, current).immutable).toEqual([]);
  });

  it('maps platform field violations to the ServiceRequest element', () => {
    expect(
      ['priority', 'reason.code', 'clinical_summary', 'expected_version', 'x'].map(
        referralFieldPath,
      ),
    ).toEqual([
      'ServiceRequest.priority',
      'ServiceRequest.code',
      'ServiceRequest.note',
      'ServiceRequest.meta.versionId',
      undefined,
    ]);
  });
});
