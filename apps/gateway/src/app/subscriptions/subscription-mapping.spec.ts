import { FhirError } from '@trellis/fhir';

import {
  createRequestOf,
  patientFilterOf,
  subscriptionFieldPath,
  type BackportSubscription,
} from './subscription-mapping';

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';

function sub(over: Partial<BackportSubscription['channel']> = {}): BackportSubscription {
  return {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'results',
    criteria: 'https://fhir.trellis.nhs.uk/SubscriptionTopic/result-available',
    _criteria: {
      extension: [
        { url: `${BACKPORT}/backport-filter-criteria`, valueString: 'patient=9990000018' },
      ],
    },
    channel: {
      type: 'rest-hook',
      endpoint: 'https://gp.example/hook',
      payload: 'application/fhir+json',
      _payload: {
        extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: 'empty' }],
      },
      extension: [
        { url: `${BACKPORT}/backport-heartbeat-period`, valueUnsignedInt: 60 },
        { url: `${BACKPORT}/backport-timeout`, valueUnsignedInt: 7 },
      ],
      ...over,
    },
  };
}

const ruleOf = (work: () => unknown): string | undefined => {
  try {
    work();
    return undefined;
  } catch (err) {
    if (!(err instanceof FhirError)) throw err;
    return err.issues[0]?.rule;
  }
};

describe('Subscription ⇄ notifications request', () => {
  it('maps the backport extensions', () => {
    expect(createRequestOf(sub())).toEqual({
      topic: 'https://fhir.trellis.nhs.uk/SubscriptionTopic/result-available',
      endpoint: 'https://gp.example/hook',
      payloadContent: 'empty',
      headers: [],
      heartbeatPeriodSeconds: 60,
      timeoutSeconds: 7,
      patientNhsNumber: '9990000018',
      reason: 'results',
    });
  });

  it('reads the patient filter in its three spellings and refuses any other filter', () => {
    expect(
      [
        'patient=9990000018',
        'DiagnosticReport?patient=Patient/9990000018',
        'patient=https://fhir.nhs.uk/Id/nhs-number|9990000018',
      ].map(patientFilterOf),
    ).toEqual(['9990000018', '9990000018', '9990000018']);
    expect(ruleOf(() => patientFilterOf('code=1234'))).toBe('subscription.filter-unsupported');
    expect(ruleOf(() => patientFilterOf('patient=1&patient=2'))).toBe(
      'subscription.filter-unsupported',
    );
  });

  it('refuses other channels and payload types', () => {
    expect(ruleOf(() => createRequestOf(sub({ type: 'websocket' })))).toBe(
      'subscription.channel-unsupported',
    );
    expect(ruleOf(() => createRequestOf(sub({ payload: 'application/fhir+xml' })))).toBe(
      'subscription.payload-unsupported',
    );
  });

  it('points service violations at the Subscription element', () => {
    expect(['topic', 'endpoint', 'headers[2]', 'nope'].map(subscriptionFieldPath)).toEqual([
      'Subscription.criteria',
      'Subscription.channel.endpoint',
      'Subscription.channel.header[2]',
      undefined,
    ]);
  });
});
