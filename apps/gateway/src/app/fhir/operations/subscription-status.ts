import { fhirOperation } from './fhir-operation';

/** GET /fhir/Subscription/:id/$status */
export const SUBSCRIPTION_STATUS = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'subscription-status',
    name: 'status',
    status: 'active',
    kind: 'operation',
    description: 'SubscriptionStatus (as Parameters) of one subscription, in a searchset Bundle',
    affectsState: false,
    code: 'status',
    resource: ['Subscription'],
    system: false,
    type: false,
    instance: true,
    parameter: [
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation: 'status',
        type: 'Bundle',
      },
    ],
  },
  {
    method: 'GET',
    platform: 'notifications',
    scope: 'system/Subscription.r',
    summary: 'The subscription’s status: events since start, delivery error (backport $status)',
  },
);
