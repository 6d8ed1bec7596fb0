import { resourceSubject } from '../platform-fhir.controller';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/ServiceRequest/:id/$complete */
export const SERVICEREQUEST_COMPLETE = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'servicerequest-complete',
    name: 'complete',
    status: 'active',
    kind: 'operation',
    description:
      'The receiving organisation completes the referral. Parameters: note. Returns the updated ServiceRequest.',
    affectsState: true,
    code: 'complete',
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
    summary: 'Complete (discharge) a referral',
  },
);
