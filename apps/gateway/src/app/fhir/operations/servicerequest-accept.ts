import { resourceSubject } from '../platform-fhir.controller';
import {
  fhirOperation,
  freeTextParameter,
  instanceOperationDefinition,
  returnParameter,
} from './fhir-operation';
import { referralTransition } from './servicerequest-transition';

/** POST /fhir/ServiceRequest/:id/$accept */
export const SERVICEREQUEST_ACCEPT = fhirOperation(
  instanceOperationDefinition('ServiceRequest', 'accept', {
    description:
      'The receiving organisation accepts the referral (e-RS accept). Returns the updated ServiceRequest.',
    affectsState: true,
    parameter: [freeTextParameter('note', 0), returnParameter('ServiceRequest', 'The referral')],
  }),
  {
    method: 'POST',
    platform: 'referrals',
    scope: 'system/ServiceRequest.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Accept a referral (receiving organisation)',
  },
);

/** Serves ServiceRequest/{id}/$accept: the referrals platform's acceptReferral. */
export const acceptServiceRequest = referralTransition('acceptReferral', 'note');
