import type {
  Bundle,
  BundleEntry,
  Parameters,
  ParametersParameter,
  Resource,
} from '@medplum/fhirtypes';

/**
 * Topic-based subscriptions on R4 (FHIR Subscriptions R5 Backport IG, STU 1.1): the topics Trellis
 * publishes, and the notification Bundle a rest-hook endpoint receives (also the shape of `$status`
 * and `$events`). Shared by the gateway (validation, CapabilityStatement, `$status`/`$events`) and
 * the notifications service (delivery).
 */
export const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const BACKPORT_SUBSCRIPTION_PROFILE = `${BACKPORT}/backport-subscription`;
export const BACKPORT_STATUS_PROFILE = `${BACKPORT}/backport-subscription-status-r4`;
export const BACKPORT_NOTIFICATION_PROFILE = `${BACKPORT}/backport-subscription-notification-r4`;
export const BACKPORT_PAYLOAD_CONTENT = `${BACKPORT}/backport-payload-content`;
export const BACKPORT_HEARTBEAT_PERIOD = `${BACKPORT}/backport-heartbeat-period`;
export const BACKPORT_TIMEOUT = `${BACKPORT}/backport-timeout`;
export const BACKPORT_FILTER_CRITERIA = `${BACKPORT}/backport-filter-criteria`;
export const BACKPORT_TOPIC_CANONICAL = `${BACKPORT}/capabilitystatement-subscriptiontopic-canonical`;

export const TOPIC_BASE = 'https://fhir.trellis.nhs.uk/SubscriptionTopic';

export type SubscriptionTopicCode =
  | 'result-available'
  | 'result-amended'
  | 'referral-state-changed'
  | 'appointment-changed'
  | 'patient-deceased'
  | 'patient-merged';

export interface SubscriptionTopicSpec {
  code: SubscriptionTopicCode;
  url: string;
  title: string;
  /** The focus resource type of its notifications. */
  resource: 'DiagnosticReport' | 'ServiceRequest' | 'Appointment' | 'Patient';
  /** The CloudEvents types (domain events) that raise it. */
  eventTypes: readonly string[];
  /** The scope a subscriber must hold: read access to the focus type (SMART v2 letters). */
  readScope: string;
}

const topic = (
  code: SubscriptionTopicCode,
  title: string,
  resource: SubscriptionTopicSpec['resource'],
  eventTypes: string[],
): SubscriptionTopicSpec => ({
  code,
  url: `${TOPIC_BASE}/${code}`,
  title,
  resource,
  eventTypes: eventTypes.map((t) => `uk.nhs.trellis.${t}.v1`),
  readScope: `system/${resource}.r`,
});

export const SUBSCRIPTION_TOPICS: readonly SubscriptionTopicSpec[] = [
  topic('result-available', 'A result is available', 'DiagnosticReport', [
    'results.ResultAvailable',
  ]),
  topic('result-amended', 'A result was amended or corrected', 'DiagnosticReport', [
    'results.ResultAmended',
  ]),
  topic('referral-state-changed', 'A referral changed state', 'ServiceRequest', [
    'referrals.ReferralSent',
    'referrals.ReferralAccepted',
    'referrals.ReferralRejected',
    'referrals.ReferralReturned',
    'referrals.ReferralAdviceGiven',
    'referrals.ReferralBooked',
    'referrals.ReferralCompleted',
    'referrals.ReferralCancelled',
    'referrals.ReferralUpdated',
    'referrals.ReferralBookingCancelled',
  ]),
  topic('appointment-changed', 'An appointment was booked, changed or ended', 'Appointment', [
    'appointments.AppointmentBooked',
    'appointments.AppointmentCancelled',
    'appointments.AppointmentRescheduled',
    'appointments.AppointmentAttended',
    'appointments.AppointmentMissed',
  ]),
  topic('patient-deceased', 'A patient was recorded deceased', 'Patient', [
    'identity.PatientDeceased',
  ]),
  topic('patient-merged', 'Two patient records were merged', 'Patient', ['identity.PatientMerged']),
];

export function subscriptionTopicByUrl(url: string): SubscriptionTopicSpec | undefined {
  return SUBSCRIPTION_TOPICS.find((t) => t.url === url);
}

/**
 * Payload contents (backport): `full-resource` carries the focus as the subscriber's own FHIR read
 * returns it (docs/subscriptions.md).
 */
export const PAYLOAD_CONTENTS = ['empty', 'id-only', 'full-resource'] as const;
export type PayloadContent = (typeof PAYLOAD_CONTENTS)[number];

export type NotificationType =
  'handshake' | 'heartbeat' | 'event-notification' | 'query-status' | 'query-event';

/** One event of a subscription's stream, as a notification carries it. */
export interface NotificationEventView {
  eventNumber: string;
  occurredAt: Date;
  /** `DiagnosticReport/<id>` etc. */
  focus: string;
  /** `Patient/<nhs number>`. */
  patient: string;
  /** full-resource: the focus as the subscriber's read returned it (absent: not readable). */
  resource?: Resource;
}

export interface SubscriptionStatusView {
  /** Subscription id. */
  id: string;
  topicUrl: string;
  status: string;
  eventsSinceSubscriptionStart: string;
  error?: string;
}

/** `Subscription/<id>` absolute under `baseUrl` when given, else relative. */
const ref = (baseUrl: string | undefined, path: string): string =>
  baseUrl ? `${baseUrl.replace(/\/+$/, '')}/${path}` : path;

/** The backport's SubscriptionStatus as an R4 Parameters resource. */
export function subscriptionStatusParameters(
  s: SubscriptionStatusView,
  type: NotificationType,
  events: readonly NotificationEventView[],
  payload: PayloadContent,
  baseUrl?: string,
): Parameters {
  const parameter: ParametersParameter[] = [
    { name: 'subscription', valueReference: { reference: ref(baseUrl, `Subscription/${s.id}`) } },
    { name: 'topic', valueCanonical: s.topicUrl },
    { name: 'status', valueCode: s.status },
    { name: 'type', valueCode: type },
    { name: 'events-since-subscription-start', valueString: s.eventsSinceSubscriptionStart },
    ...events.map((e): ParametersParameter => ({
      name: 'notification-event',
      part: [
        { name: 'event-number', valueString: e.eventNumber },
        { name: 'timestamp', valueInstant: e.occurredAt.toISOString() },
        ...(payload === 'empty'
          ? []
          : [
              { name: 'focus', valueReference: { reference: ref(baseUrl, e.focus) } },
              {
                name: 'additional-context',
                valueReference: { reference: ref(baseUrl, e.patient) },
              },
            ]),
      ],
    })),
    ...(s.error ? [{ name: 'error', valueCodeableConcept: { text: s.error } }] : []),
  ];
  return {
    resourceType: 'Parameters',
    meta: { profile: [BACKPORT_STATUS_PROFILE] },
    parameter,
  };
}

/**
 * The notification Bundle (type `history`: the status first, then one entry per focus with its
 * `fullUrl` and a `request` — with the resource for full-resource, none for id-only). `id` is the
 * stable notification id a receiver deduplicates on.
 */
export function notificationBundle(
  id: string,
  s: SubscriptionStatusView,
  type: NotificationType,
  events: readonly NotificationEventView[],
  payload: PayloadContent,
  timestamp: Date,
  baseUrl?: string,
): Bundle {
  const entry: BundleEntry[] = [
    {
      fullUrl: `urn:uuid:${id}`,
      resource: subscriptionStatusParameters(s, type, events, payload, baseUrl),
      request: { method: 'GET', url: `Subscription/${s.id}/$status` },
      response: { status: '200' },
    },
    ...(payload === 'empty'
      ? []
      : events.map((e): BundleEntry => ({
          fullUrl: ref(baseUrl, e.focus),
          ...(payload === 'full-resource' && e.resource ? { resource: e.resource } : {}),
          request: { method: 'PUT', url: e.focus },
          response: { status: '200' },
        }))),
  ];
  return {
    resourceType: 'Bundle',
    id,
    meta: { profile: [BACKPORT_NOTIFICATION_PROFILE] },
    type: 'history',
    timestamp: timestamp.toISOString(),
    entry,
  };
}
