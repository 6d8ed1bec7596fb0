import { resourceSubject } from '../platform-fhir.controller';
import {
  fhirOperation,
  freeTextParameter,
  instanceOperationDefinition,
  returnParameter,
} from './fhir-operation';
import { referralTransition } from './servicerequest-transition';

/** POST /fhir/ServiceRequest/:id/$reject */
export const SERVICEREQUEST_REJECT = fhirOperation(
  instanceOperationDefinition('ServiceRequest', 'reject', {
    description:
      'The receiving organisation rejects the referral with a reason. Returns the updated ServiceRequest.',
    affectsState: true,
    parameter: [freeTextParameter('reason', 1), returnParameter('ServiceRequest', 'The referral')],
  }),
  {
    method: 'POST',
    platform: 'referrals',
    scope: 'system/ServiceRequest.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Reject a referral with a reason',
  },
);

/** Serves ServiceRequest/{id}/$reject: the referrals platform's rejectReferral. */
export const rejectServiceRequest = referralTransition('rejectReferral', 'reason');
