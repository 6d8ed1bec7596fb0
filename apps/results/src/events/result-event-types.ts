import { events } from '@trellis/contracts';
import { defineEventType, TOPICS } from '@trellis/events';

const E = events.v1;
const topic = TOPICS.resultsReport;
const type = (name: string) => `uk.nhs.trellis.results.${name}.v1`;
const schema = (name: string) => `proto:trellis.events.v1.${name}`;

/** The three result event types on trellis.results.report.v1 (key: NHS number). */
export const ResultAvailableEvent = defineEventType({
  type: type('ResultAvailable'),
  topic,
  codec: E.ResultAvailable,
  dataschema: schema('ResultAvailable'),
});
export const ResultAmendedEvent = defineEventType({
  type: type('ResultAmended'),
  topic,
  codec: E.ResultAmended,
  dataschema: schema('ResultAmended'),
});
export const ResultAcknowledgedEvent = defineEventType({
  type: type('ResultAcknowledged'),
  topic,
  codec: E.ResultAcknowledged,
  dataschema: schema('ResultAcknowledged'),
});
