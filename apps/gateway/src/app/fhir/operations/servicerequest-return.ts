import { resourceSubject } from '../platform-fhir.controller';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/ServiceRequest/:id/$return */
export const SERVICEREQUEST_RETURN = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'servicerequest-return',
    name: 'return',
    status: 'active',
    kind: 'operation',
    description:
      'The receiving organisation returns a sent or accepted referral to the referrer (e-RS return to referrer), e.g. when triage finds it should be managed elsewhere; the RTT clock stops. Parameters: reason (required). Returns the updated ServiceRequest (status revoked, meta.tag returned, the reason in the referral-status-reason extension); 422 from any other state.',
    affectsState: true,
    code: 'return',
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
    summary: 'Return a referral to the referrer with a reason (receiving organisation)',
  },
);
