import { resourceSubject } from '../platform-fhir.controller';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/ServiceRequest/:id/$advise */
export const SERVICEREQUEST_ADVISE = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'servicerequest-advise',
    name: 'advise',
    status: 'active',
    kind: 'operation',
    description:
      'The receiving organisation returns advice (e-RS advice and guidance). Parameters: advice. Returns the updated ServiceRequest.',
    affectsState: true,
    code: 'advise',
    resource: ['ServiceRequest'],
    system: false,
    type: false,
    instance: true,
    parameter: [
      {
        name: 'advice',
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
    summary: 'Answer a referral with advice instead of accepting it (advice and guidance)',
  },
);
