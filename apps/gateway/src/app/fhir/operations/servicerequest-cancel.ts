import { resourceSubject } from '../platform-fhir.controller';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/ServiceRequest/:id/$cancel */
export const SERVICEREQUEST_CANCEL = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'servicerequest-cancel',
    name: 'cancel',
    status: 'active',
    kind: 'operation',
    description:
      'The referring organisation cancels the referral with a reason. Returns the updated ServiceRequest.',
    affectsState: true,
    code: 'cancel',
    resource: ['ServiceRequest'],
    system: false,
    type: false,
    instance: true,
    parameter: [
      {
        name: 'reason',
        use: 'in',
        min: 1,
        max: '1',
        documentation: 'Free-text reason or note',
        type: 'string',
      },
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation: 'The referral',
        type: 'ServiceRequest',
      },
    ],
  },
  {
    method: 'POST',
    platform: 'referrals',
    scope: 'system/ServiceRequest.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Cancel a referral (referring organisation)',
  },
);
