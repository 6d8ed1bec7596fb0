import type { Extension, Subscription } from '@medplum/fhirtypes';
import { type notifications } from '@trellis/contracts';
import {
  BACKPORT_FILTER_CRITERIA,
  BACKPORT_HEARTBEAT_PERIOD,
  BACKPORT_PAYLOAD_CONTENT,
  BACKPORT_SUBSCRIPTION_PROFILE,
  BACKPORT_TIMEOUT,
  FhirError,
} from '@trellis/fhir';

const NHS_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';

/** R4 Subscription with the primitive extensions the backport puts on criteria and payload. */
export type BackportSubscription = Omit<Subscription, 'channel'> & {
  _criteria?: { extension?: Extension[] };
  channel: Subscription['channel'] & { _payload?: { extension?: Extension[] } };
};

const bad = (message: string, expression: string, rule = 'subscription.invalid'): FhirError =>
  FhirError.of(400, 'invalid', rule, message, expression);

const ext = (list: readonly Extension[] | undefined, url: string): Extension | undefined =>
  list?.find((e) => e.url === url);

/**
 * The patient of a backport filter criterion: `patient=<NHS number>`, `patient=Patient/<NHS
 * number>` or `patient=https://fhir.nhs.uk/Id/nhs-number|<NHS number>`, optionally after
 * `<Type>?`. Nothing else is served as a filter.
 */
export function patientFilterOf(criteria: string | undefined): string {
  if (criteria === undefined) return '';
  const query = criteria.includes('?') ? criteria.slice(criteria.indexOf('?') + 1) : criteria;
  const params = [...new URLSearchParams(query)];
  const [only] = params;
  if (params.length !== 1 || !only || only[0] !== 'patient')
    throw bad(
      'the only filter served is patient=<NHS number> (backport-filter-criteria)',
      'Subscription.criteria.extension',
      'subscription.filter-unsupported',
    );
  const v = only[1];
  return v.startsWith('Patient/')
    ? v.slice('Patient/'.length)
    : v.startsWith(`${NHS_SYSTEM}|`)
      ? v.slice(NHS_SYSTEM.length + 1)
      : v;
}

/** A validated R4 Subscription (backport profile) → the create request (service rules apply then). */
export function createRequestOf(
  s: BackportSubscription,
): notifications.v1.CreateSubscriptionRequest {
  if (s.status !== 'requested' && s.status !== 'active')
    throw bad(
      `a new subscription's status is requested (or active), not ${String(s.status)}`,
      'Subscription.status',
    );
  if (s.channel.type !== 'rest-hook')
    throw bad(
      `channel type ${String(s.channel.type)} is not served: rest-hook only`,
      'Subscription.channel.type',
      'subscription.channel-unsupported',
    );
  if (!s.channel.endpoint)
    throw bad('a rest-hook needs an endpoint', 'Subscription.channel.endpoint');
  if (s.channel.payload !== undefined && s.channel.payload !== 'application/fhir+json')
    throw bad(
      `payload ${s.channel.payload.slice(0, 64)}: notifications are application/fhir+json`,
      'Subscription.channel.payload',
      'subscription.payload-unsupported',
    );
  const content = ext(s.channel._payload?.extension, BACKPORT_PAYLOAD_CONTENT)?.valueCode;
  const heartbeat = ext(s.channel.extension, BACKPORT_HEARTBEAT_PERIOD)?.valueUnsignedInt;
  const timeout = ext(s.channel.extension, BACKPORT_TIMEOUT)?.valueUnsignedInt;
  const filters = (s._criteria?.extension ?? []).filter((e) => e.url === BACKPORT_FILTER_CRITERIA);
  if (filters.length > 1)
    throw bad(
      'at most one filter criterion is served',
      'Subscription.criteria.extension',
      'subscription.filter-unsupported',
    );
  return {
    topic: s.criteria,
    endpoint: s.channel.endpoint,
    payloadContent: content ?? 'id-only',
    headers: s.channel.header ?? [],
    heartbeatPeriodSeconds: heartbeat ?? 0,
    timeoutSeconds: timeout ?? 0,
    patientNhsNumber: patientFilterOf(filters[0]?.valueString),
    reason: s.reason,
  };
}

const STATUSES = new Set(['requested', 'active', 'error', 'off']);

/** The service's subscription → R4 Subscription (backport profile). */
export function subscriptionResource(s: notifications.v1.Subscription): BackportSubscription {
  const status = (STATUSES.has(s.status) ? s.status : 'error') as BackportSubscription['status'];
  return {
    resourceType: 'Subscription',
    id: s.id,
    meta: { profile: [BACKPORT_SUBSCRIPTION_PROFILE] },
    status,
    reason: s.reason || 'Trellis notifications',
    criteria: s.topic,
    ...(s.patientNhsNumber
      ? {
          _criteria: {
            extension: [
              {
                url: BACKPORT_FILTER_CRITERIA,
                valueString: `patient=Patient/${s.patientNhsNumber}`,
              },
            ],
          },
        }
      : {}),
    ...(s.lastError ? { error: s.lastError } : {}),
    channel: {
      type: 'rest-hook',
      endpoint: s.endpoint,
      payload: 'application/fhir+json',
      _payload: { extension: [{ url: BACKPORT_PAYLOAD_CONTENT, valueCode: s.payloadContent }] },
      ...(s.headers.length ? { header: s.headers } : {}),
      extension: [
        ...(s.heartbeatPeriodSeconds
          ? [{ url: BACKPORT_HEARTBEAT_PERIOD, valueUnsignedInt: s.heartbeatPeriodSeconds }]
          : []),
        { url: BACKPORT_TIMEOUT, valueUnsignedInt: s.timeoutSeconds },
      ],
    },
  };
}

/** Where a service field violation points in the Subscription. */
export function subscriptionFieldPath(field: string): string | undefined {
  const header = /^headers\[(\d+)\]$/.exec(field);
  if (header) return `Subscription.channel.header[${header[1] ?? '0'}]`;
  switch (field) {
    case 'topic':
      return 'Subscription.criteria';
    case 'endpoint':
      return 'Subscription.channel.endpoint';
    case 'payload_content':
      return 'Subscription.channel.payload';
    case 'headers':
      return 'Subscription.channel.header';
    case 'heartbeat_period_seconds':
    case 'timeout_seconds':
      return 'Subscription.channel.extension';
    case 'patient_nhs_number':
      return 'Subscription.criteria.extension';
    case 'reason':
      return 'Subscription.reason';
    default:
      return undefined;
  }
}
