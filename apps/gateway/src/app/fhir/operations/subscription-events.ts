import type { FhirSearchParam } from '../fhir.search';
import { fhirOperation } from './fhir-operation';

/** The query $events reads (checked against this table, declared as the operation's parameters). */
export const EVENTS_PARAMS: FhirSearchParam[] = [
  {
    name: 'eventsSinceNumber',
    type: 'number',
    documentation: 'First event number (inclusive); none = the oldest kept',
  },
  {
    name: 'eventsUntilNumber',
    type: 'number',
    documentation: 'Last event number (inclusive); none = the latest (at most 500 events)',
  },
  {
    name: 'content',
    type: 'token',
    documentation:
      'empty | id-only | full-resource (default: the subscription’s; full-resource entries carry each focus as the caller’s own read returns it now)',
  },
];

/** GET /fhir/Subscription/:id/$events */
export const SUBSCRIPTION_EVENTS = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'subscription-events',
    name: 'events',
    status: 'active',
    kind: 'operation',
    description:
      'Events of the subscription’s stream from eventsSinceNumber to eventsUntilNumber (inclusive, at most 500), as a notification Bundle of type query-event',
    affectsState: false,
    code: 'events',
    resource: ['Subscription'],
    system: false,
    type: false,
    instance: true,
    parameter: [
      ...EVENTS_PARAMS.map((p) => ({
        name: p.name,
        use: 'in' as const,
        min: 0,
        max: '1',
        documentation: p.documentation,
        type: p.type === 'number' ? 'string' : 'code',
      })),
      { name: 'return', use: 'out', min: 1, max: '1', documentation: 'events', type: 'Bundle' },
    ],
  },
  {
    method: 'GET',
    platform: 'notifications',
    scope: 'system/Subscription.r',
    searchParams: EVENTS_PARAMS,
    summary: 'The subscription’s notification events by number range (backport $events)',
  },
);
