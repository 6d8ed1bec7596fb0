import { validateFhirResource } from '../validator';
import {
  notificationBundle,
  SUBSCRIPTION_TOPICS,
  subscriptionStatusParameters,
  subscriptionTopicByUrl,
} from './subscriptions';

const status = {
  id: '6fd6dc13-8057-4de9-a64f-13c7af48b3cf',
  topicUrl: 'https://fhir.trellis.nhs.uk/SubscriptionTopic/result-available',
  status: 'active',
  eventsSinceSubscriptionStart: '7',
};
const event = {
  eventNumber: '7',
  occurredAt: new Date('2026-12-06T10:00:00Z'),
  focus: 'DiagnosticReport/abc',
  patient: 'Patient/9990000018',
};

describe('subscription topics and notifications (R5 backport on R4)', () => {
  it('has one topic per canonical URL, each raised by its own event types', () => {
    const urls = SUBSCRIPTION_TOPICS.map((t) => t.url);
    expect(new Set(urls).size).toBe(urls.length);
    const types = SUBSCRIPTION_TOPICS.flatMap((t) => t.eventTypes);
    expect(new Set(types).size).toBe(types.length);
    expect(subscriptionTopicByUrl(status.topicUrl)?.readScope).toBe('system/DiagnosticReport.r');
  });

  it('builds an id-only event notification the R4 validator accepts, the focus absolute', () => {
    const bundle = notificationBundle(
      'a1b2c3d4-0000-4000-8000-000000000001',
      status,
      'event-notification',
      [event],
      'id-only',
      new Date('2026-12-06T10:00:01Z'),
      'https://trellis.example/fhir/',
    );
    expect(validateFhirResource(bundle).issues).toEqual([]);
    expect(bundle.entry?.map((e) => e.fullUrl)).toEqual([
      'urn:uuid:a1b2c3d4-0000-4000-8000-000000000001',
      'https://trellis.example/fhir/DiagnosticReport/abc',
    ]);
    const params = subscriptionStatusParameters(status, 'event-notification', [event], 'id-only');
    expect(params.parameter?.find((p) => p.name === 'notification-event')?.part).toEqual([
      { name: 'event-number', valueString: '7' },
      { name: 'timestamp', valueInstant: '2026-12-06T10:00:00.000Z' },
      { name: 'focus', valueReference: { reference: 'DiagnosticReport/abc' } },
      { name: 'additional-context', valueReference: { reference: 'Patient/9990000018' } },
    ]);
  });

  it('carries no focus with empty content, and heartbeats carry no event', () => {
    const empty = notificationBundle(
      'id-1',
      status,
      'event-notification',
      [event],
      'empty',
      new Date(),
    );
    expect(empty.entry).toHaveLength(1);
    const part = (
      empty.entry?.[0]?.resource as { parameter: { name: string; part?: { name: string }[] }[] }
    ).parameter.find((p) => p.name === 'notification-event')?.part;
    expect(part?.map((p) => p.name)).toEqual(['event-number', 'timestamp']);
    const beat = notificationBundle('id-2', status, 'heartbeat', [], 'id-only', new Date());
    expect(validateFhirResource(beat).issues).toEqual([]);
    expect(beat.entry).toHaveLength(1);
  });
});
