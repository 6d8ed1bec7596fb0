import { resourceSubject } from '../platform-fhir.controller';
import {
  fhirOperation,
  freeTextParameter,
  instanceOperationDefinition,
  returnParameter,
} from './fhir-operation';
import { referralTransition } from './servicerequest-transition';

/** POST /fhir/ServiceRequest/:id/$cancel */
export const SERVICEREQUEST_CANCEL = fhirOperation(
  instanceOperationDefinition('ServiceRequest', 'cancel', {
    description:
      'The referring organisation cancels the referral with a reason. Returns the updated ServiceRequest.',
    affectsState: true,
    parameter: [freeTextParameter('reason', 1), returnParameter('ServiceRequest', 'The referral')],
  }),
  {
    method: 'POST',
    platform: 'referrals',
    scope: 'system/ServiceRequest.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Cancel a referral (referring organisation)',
  },
);

/** Serves ServiceRequest/{id}/$cancel: the referrals platform's cancelReferral. */
export const cancelServiceRequest = referralTransition('cancelReferral', 'reason');
