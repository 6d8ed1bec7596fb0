// @trellis/events: CloudEvents over Kafka behind a small port, transactional outbox + relay,
// inbox consumers with dead-lettering, and the topic registry. See docs/events.md.
export * from './backoff';
export * from './cloudevents';
export * from './config';
export * from './errors';
export * from './logger';
export * from './port';
export * from './schema-check';
export * from './sql-client';
export { loggedOutcomes } from './inbox/logged-outcomes';
export type { OutcomeLine } from './inbox/logged-outcomes';
export * from './topics';
export { extractTraceContext, injectTraceHeaders, ORIGIN_TRACEPARENT_HEADER } from './trace';
export { createEventBus } from './bus';
export type { EventBusOptions } from './bus';
export { createPlatformaticEventBus } from './platformatic/platformatic-event-bus';
export { domainEventEnvelope, eventActor } from './outbox/domain-event';
export {
  domainEventWriter,
  OutboxEventSink,
  outboxEventSink,
  ownerAndCounterpart,
  withEventFields,
} from './outbox/event-sink';
export type {
  BatchingDomainEventSink,
  DomainEventSink,
  DomainEventWriterSpec,
  OutboxEventSinkClass,
  SubjectEvents,
} from './outbox/event-sink';
export * from './domain-event-types';
export type { ActingSystem, DomainEventMeta, EventParty } from './outbox/domain-event';
export { createOutbox, OUTBOX_CHANNEL, outboxRow } from './outbox/outbox';
export type { Outbox, OutboxOptions, OutboxRow } from './outbox/outbox';
export { SERVICE_PRISMA, serviceInfraModule } from './service-infra.module';
export type { ServiceInfraSpec } from './service-infra.module';
export { createOutboxRelay, OutboxRelay, outboxRowToMessage } from './outbox/relay';
export type { OutboxLag, OutboxRelayOptions, OutboxRelayStats } from './outbox/relay';
export { createInboxConsumer, DLQ_HEADERS } from './inbox/inbox-consumer';
export type {
  InboxConsumer,
  InboxConsumerOptions,
  InboxConsumerStats,
} from './inbox/inbox-consumer';
export * from './provision';
export { startServiceMessaging } from './service-messaging';
export { ServiceMessagingProvider } from './service-messaging.provider';
export type { ServiceMessagingPlan } from './service-messaging.provider';
export type {
  ServiceConsumerSpec,
  ServiceMessaging,
  ServiceMessagingOptions,
} from './service-messaging';
export * from './patient-events';
