import { fhirOperation, instanceOperationDefinition, returnParameter } from './fhir-operation';

/** GET /fhir/Subscription/:id/$status */
export const SUBSCRIPTION_STATUS = fhirOperation(
  instanceOperationDefinition('Subscription', 'status', {
    description: 'SubscriptionStatus (as Parameters) of one subscription, in a searchset Bundle',
    affectsState: false,
    parameter: [returnParameter('Bundle', 'status')],
  }),
  {
    method: 'GET',
    platform: 'notifications',
    scope: 'system/Subscription.r',
    summary: 'The subscription’s status: events since start, delivery error (backport $status)',
  },
);
