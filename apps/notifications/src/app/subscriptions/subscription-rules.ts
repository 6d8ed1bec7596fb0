import { scopeSatisfies } from '@trellis/auth';
import {
  PAYLOAD_CONTENTS,
  subscriptionTopicByUrl,
  type PayloadContent,
  type SubscriptionTopicSpec,
  validateNhsNumber,
} from '@trellis/fhir';
import type { FieldViolation } from '@trellis/service-kit';

import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';

export interface SubscriptionInput {
  topic: string;
  endpoint: string;
  payloadContent: string;
  headers: readonly string[];
  heartbeatPeriodSeconds: number;
  timeoutSeconds: number;
  patientNhsNumber: string;
  reason: string;
}

export interface ValidSubscription {
  topic: SubscriptionTopicSpec;
  endpoint: string;
  payloadContent: PayloadContent;
  headers: string[];
  heartbeatSeconds: number;
  timeoutSeconds: number;
  patientNhsNumber: string;
  reason: string;
}

export const LIMITS = {
  endpointLength: 2048,
  headers: 10,
  headerLength: 1024,
  reasonLength: 1024,
  heartbeatMin: 10,
  heartbeatMax: 86_400,
  timeoutMax: 60,
  defaultTimeout: 10,
} as const;

const HEADER = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}: ?[\x20-\x7e]*$/;
/** Headers the platform sets itself on a notification. */
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'host',
  'x-trellis-notification-id',
]);

/**
 * The rules of a new subscription, every problem reported at once: a known topic whose focus the
 * caller may read, an https endpoint (plain http only where allowed: local and test deployments),
 * a served payload content, bounded headers and periods.
 */
export function validateSubscription(
  input: SubscriptionInput,
  caller: { scopes: readonly string[] },
  allowHttp: boolean,
  served: readonly string[] = PAYLOAD_CONTENTS,
): ValidSubscription {
  const violations: FieldViolation[] = [];
  const topic = subscriptionTopicByUrl(input.topic);
  if (!topic)
    throw new NotificationsError(
      NotificationsErrorCode.UnknownTopic,
      `Unknown SubscriptionTopic ${JSON.stringify(input.topic.slice(0, 200))}; see the CapabilityStatement for the topics served`,
      [{ field: 'topic', rule: 'subscription.unknown-topic', message: 'unknown topic' }],
    );
  if (!scopeSatisfies(caller.scopes, topic.readScope))
    throw new NotificationsError(
      NotificationsErrorCode.MissingScope,
      `Subscribing to ${topic.url} needs read access to ${topic.resource} (${topic.readScope})`,
      [
        {
          field: 'topic',
          rule: 'subscription.missing-scope',
          message: `the token lacks ${topic.readScope}`,
        },
      ],
    );
  let url: URL | undefined;
  if (input.endpoint.length > LIMITS.endpointLength)
    violations.push({
      field: 'endpoint',
      rule: 'subscription.endpoint-too-long',
      message: `at most ${String(LIMITS.endpointLength)} characters`,
    });
  else
    try {
      url = new URL(input.endpoint);
    } catch {
      violations.push({
        field: 'endpoint',
        rule: 'subscription.endpoint-invalid',
        message: 'not an absolute URL',
      });
    }
  if (url) {
    if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:'))
      violations.push({
        field: 'endpoint',
        rule: 'subscription.endpoint-not-https',
        message: allowHttp
          ? 'the endpoint must be an http(s) URL'
          : 'the endpoint must be an https URL (plain http is accepted only in local and test deployments)',
      });
    if (url.username || url.password)
      violations.push({
        field: 'endpoint',
        rule: 'subscription.endpoint-credentials',
        message: 'credentials go in a header, never in the URL',
      });
    if (url.hash)
      violations.push({
        field: 'endpoint',
        rule: 'subscription.endpoint-fragment',
        message: 'no fragment',
      });
  }
  if (!served.includes(input.payloadContent))
    violations.push({
      field: 'payload_content',
      rule: 'subscription.payload-unsupported',
      message: `payload content must be one of ${served.join(', ')}${input.payloadContent === 'full-resource' ? ' (full-resource is not served by this deployment: read the focus with your own token)' : ''}`,
    });
  if (input.headers.length > LIMITS.headers)
    violations.push({
      field: 'headers',
      rule: 'subscription.headers-too-many',
      message: `at most ${String(LIMITS.headers)}`,
    });
  input.headers.forEach((h, i) => {
    if (h.length > LIMITS.headerLength || !HEADER.test(h))
      violations.push({
        field: `headers[${String(i)}]`,
        rule: 'subscription.header-invalid',
        message: 'expected "Name: value" (printable ASCII)',
      });
    else if (RESERVED_HEADERS.has(h.slice(0, h.indexOf(':')).toLowerCase()))
      violations.push({
        field: `headers[${String(i)}]`,
        rule: 'subscription.header-reserved',
        message: 'set by the platform',
      });
  });
  const hb = input.heartbeatPeriodSeconds;
  if (hb !== 0 && (hb < LIMITS.heartbeatMin || hb > LIMITS.heartbeatMax))
    violations.push({
      field: 'heartbeat_period_seconds',
      rule: 'subscription.heartbeat-range',
      message: `0 (none) or ${String(LIMITS.heartbeatMin)}–${String(LIMITS.heartbeatMax)} seconds`,
    });
  const timeout = input.timeoutSeconds === 0 ? LIMITS.defaultTimeout : input.timeoutSeconds;
  if (timeout < 1 || timeout > LIMITS.timeoutMax)
    violations.push({
      field: 'timeout_seconds',
      rule: 'subscription.timeout-range',
      message: `1–${String(LIMITS.timeoutMax)} seconds`,
    });
  if (input.patientNhsNumber && !validateNhsNumber(input.patientNhsNumber).valid)
    violations.push({
      field: 'patient_nhs_number',
      rule: 'subscription.patient-invalid',
      message: 'not a valid NHS number',
    });
  if (input.reason.length > LIMITS.reasonLength)
    violations.push({
      field: 'reason',
      rule: 'subscription.reason-too-long',
      message: `at most ${String(LIMITS.reasonLength)} characters`,
    });
  if (violations.length > 0 || !url) throw NotificationsError.invalid(violations);
  return {
    topic,
    endpoint: url.toString(),
    payloadContent: input.payloadContent as PayloadContent,
    headers: [...input.headers],
    heartbeatSeconds: hb,
    timeoutSeconds: timeout,
    patientNhsNumber: input.patientNhsNumber,
    reason: input.reason,
  };
}
