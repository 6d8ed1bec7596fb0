import { resourceSubject } from '../platform-fhir.controller';
import {
  fhirOperation,
  freeTextParameter,
  instanceOperationDefinition,
  returnParameter,
} from './fhir-operation';
import { referralTransition } from './servicerequest-transition';

/** POST /fhir/ServiceRequest/:id/$advise */
export const SERVICEREQUEST_ADVISE = fhirOperation(
  instanceOperationDefinition('ServiceRequest', 'advise', {
    description:
      'The receiving organisation returns advice (e-RS advice and guidance). Parameters: advice. Returns the updated ServiceRequest.',
    affectsState: true,
    parameter: [freeTextParameter('advice', 1), returnParameter('ServiceRequest', 'The referral')],
  }),
  {
    method: 'POST',
    platform: 'referrals',
    scope: 'system/ServiceRequest.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Answer a referral with advice instead of accepting it (advice and guidance)',
  },
);

/** Serves ServiceRequest/{id}/$advise: the referrals platform's giveAdvice. */
export const adviseServiceRequest = referralTransition('giveAdvice', 'advice');
