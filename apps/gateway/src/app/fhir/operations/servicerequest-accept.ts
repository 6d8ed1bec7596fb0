import { resourceSubject } from '../platform-fhir.controller';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/ServiceRequest/:id/$accept */
export const SERVICEREQUEST_ACCEPT = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'servicerequest-accept',
    name: 'accept',
    status: 'active',
    kind: 'operation',
    description:
      'The receiving organisation accepts the referral (e-RS accept). Returns the updated ServiceRequest.',
    affectsState: true,
    code: 'accept',
    resource: ['ServiceRequest'],
    system: false,
    type: false,
    instance: true,
    parameter: [
      {
        name: 'note',
        use: 'in',
        min: 0,
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
    summary: 'Accept a referral (receiving organisation)',
  },
);
