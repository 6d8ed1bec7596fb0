import { resourceSubject } from '../platform-fhir.controller';
import {
  fhirOperation,
  freeTextParameter,
  instanceOperationDefinition,
  returnParameter,
} from './fhir-operation';
import { referralTransition } from './servicerequest-transition';

/** POST /fhir/ServiceRequest/:id/$complete */
export const SERVICEREQUEST_COMPLETE = fhirOperation(
  instanceOperationDefinition('ServiceRequest', 'complete', {
    description:
      'The receiving organisation completes the referral. Parameters: note. Returns the updated ServiceRequest.',
    affectsState: true,
    parameter: [freeTextParameter('note', 0), returnParameter('ServiceRequest', 'The referral')],
  }),
  {
    method: 'POST',
    platform: 'referrals',
    scope: 'system/ServiceRequest.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Complete (discharge) a referral',
  },
);

/** Serves ServiceRequest/{id}/$complete: the referrals platform's completeReferral. */
export const completeServiceRequest = referralTransition('completeReferral', 'note');
