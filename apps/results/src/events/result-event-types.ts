import { domainEventTypes, TOPICS } from '@trellis/events';

/** The three result event types on trellis.results.report.v1 (key: NHS number). */
export const ResultEvents = domainEventTypes('results', TOPICS.resultsReport, [
  'ResultAvailable',
  'ResultAmended',
  'ResultAcknowledged',
]);
