import { resourceSubject } from '../platform-fhir.controller';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/ServiceRequest/:id/$reject */
export const SERVICEREQUEST_REJECT = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'servicerequest-reject',
    name: 'reject',
    status: 'active',
    kind: 'operation',
    description:
      'The receiving organisation rejects the referral with a reason. Returns the updated ServiceRequest.',
    affectsState: true,
    code: 'reject',
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
    summary: 'Reject a referral with a reason',
  },
);
