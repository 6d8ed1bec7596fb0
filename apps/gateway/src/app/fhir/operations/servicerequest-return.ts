import { resourceSubject } from '../platform-fhir.controller';
import {
  fhirOperation,
  freeTextParameter,
  instanceOperationDefinition,
  returnParameter,
} from './fhir-operation';
import { referralTransition } from './servicerequest-transition';

/** POST /fhir/ServiceRequest/:id/$return */
export const SERVICEREQUEST_RETURN = fhirOperation(
  instanceOperationDefinition('ServiceRequest', 'return', {
    description:
      'The receiving organisation returns a sent or accepted referral to the referrer (e-RS return to referrer), e.g. when triage finds it should be managed elsewhere; the RTT clock stops. Parameters: reason (required). Returns the updated ServiceRequest (status revoked, meta.tag returned, the reason in the referral-status-reason extension); 422 from any other state.',
    affectsState: true,
    parameter: [freeTextParameter('reason', 1), returnParameter('ServiceRequest', 'The referral')],
  }),
  {
    method: 'POST',
    platform: 'referrals',
    scope: 'system/ServiceRequest.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Return a referral to the referrer with a reason (receiving organisation)',
  },
);

/** Serves ServiceRequest/{id}/$return: the referrals platform's returnReferral. */
export const returnServiceRequest = referralTransition('returnReferral', 'reason');
