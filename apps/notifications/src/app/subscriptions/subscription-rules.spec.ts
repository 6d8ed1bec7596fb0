import { TOPIC_BASE } from '@trellis/fhir';

import { NotificationsError } from '../notifications.errors';
import { validateSubscription, type SubscriptionInput } from './subscription-rules';

const READ_RESULTS = { scopes: ['system/DiagnosticReport.rs', 'system/Subscription.cruds'] };

function input(over: Partial<SubscriptionInput> = {}): SubscriptionInput {
  return {
    topic: `${TOPIC_BASE}/result-available`,
    endpoint: 'https://gp.example.nhs.uk/hooks/trellis',
    payloadContent: 'id-only',
    headers: ['Authorization: Bearer abc'],
    heartbeatPeriodSeconds: 60,
    timeoutSeconds: 0,
    patientNhsNumber: '',
    reason: 'results for our patients',
    ...over,
  };
}

function problems(over: Partial<SubscriptionInput>, allowHttp = false, caller = READ_RESULTS) {
  try {
    validateSubscription(input(over), caller, allowHttp);
    return [];
  } catch (err) {
    if (!(err instanceof NotificationsError)) throw err;
    return [err.code, ...err.details.map((v) => `${v.field}:${v.rule}`)];
  }
}

describe('validateSubscription', () => {
  it('accepts a https rest-hook on a known topic the caller may read, with the default timeout', () => {
    const v = validateSubscription(input(), READ_RESULTS, false);
    expect([v.topic.code, v.payloadContent, v.timeoutSeconds, v.heartbeatSeconds]).toEqual([
      'result-available',
      'id-only',
      10,
      60,
    ]);
  });

  it('refuses an unknown topic', () => {
    expect(problems({ topic: `${TOPIC_BASE}/weather` })).toEqual([
      'UNKNOWN_TOPIC',
      'topic:subscription.unknown-topic',
    ]);
  });

  it('refuses a topic whose focus the caller may not read', () => {
    expect(problems({}, false, { scopes: ['system/Patient.r'] })).toEqual([
      'MISSING_SCOPE',
      'topic:subscription.missing-scope',
    ]);
  });

  it('refuses plain http outside local/test deployments, accepts it where allowed', () => {
    expect(problems({ endpoint: 'http://gp.example/hook' })).toEqual([
      'INVALID_ARGUMENT',
      'endpoint:subscription.endpoint-not-https',
    ]);
    expect(problems({ endpoint: 'http://127.0.0.1:9/hook' }, true)).toEqual([]);
    expect(problems({ endpoint: 'ftp://gp.example/hook' }, true)).toEqual([
      'INVALID_ARGUMENT',
      'endpoint:subscription.endpoint-not-https',
    ]);
  });

  it('accepts full-resource where the deployment serves it, refuses it (saying so) elsewhere', () => {
    const full = input({ payloadContent: 'full-resource' });
    expect(validateSubscription(full, READ_RESULTS, false).payloadContent).toBe('full-resource');
    try {
      validateSubscription(full, READ_RESULTS, false, ['empty', 'id-only']);
      throw new Error('accepted');
    } catch (err) {
      if (!(err instanceof NotificationsError)) throw err;
      expect(err.details.map((v) => [v.rule, v.message])).toEqual([
        [
          'subscription.payload-unsupported',
          'payload content must be one of empty, id-only (full-resource is not served by this deployment: read the focus with your own token)',
        ],
      ]);
    }
  });

  it('reports every problem at once', () => {
    expect(
      problems({
        endpoint: 'https://u:p@gp.example/hook',
        payloadContent: 'message',
        headers: ['no colon', 'Content-Type: text/plain'],
        heartbeatPeriodSeconds: 5,
        timeoutSeconds: 120,
        patientNhsNumber: '1234567890',
      }),
    ).toEqual([
      'INVALID_ARGUMENT',
      'endpoint:subscription.endpoint-credentials',
      'payload_content:subscription.payload-unsupported',
      'headers[0]:subscription.header-invalid',
      'headers[1]:subscription.header-reserved',
      'heartbeat_period_seconds:subscription.heartbeat-range',
      'timeout_seconds:subscription.timeout-range',
      'patient_nhs_number:subscription.patient-invalid',
    ]);
  });
});
