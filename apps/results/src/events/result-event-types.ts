import { domainEventTypes, RESULT_EVENT_NAMES, TOPICS } from '@trellis/events';

/** The three result event types on trellis.results.report.v1 (key: NHS number). */
export const ResultEvents = domainEventTypes('results', TOPICS.resultsReport, RESULT_EVENT_NAMES);
