import { events, identity } from '@trellis/contracts';
import {
  createEventBus,
  parseCloudEventHeaders,
  stringHeaders,
  type EventConsumer,
} from '@trellis/events';
import { uniqueGroup, waitUntil } from '@trellis/testing';
import { IdentityHarness, person, startIdentity } from './harness';

/** Relay on: identity events really reach Kafka, as CloudEvents with protobuf payloads. */
describe('identity events on Kafka (outbox relay)', () => {
  let h: IdentityHarness;
  let consumer: EventConsumer;
  const seen: Array<{
    key: string;
    type: string;
    headers: Record<string, string>;
    value: Uint8Array;
  }> = [];

  beforeAll(async () => {
    h = await startIdentity({ relay: true });
    const bus = createEventBus({
      clientId: 'identity-events-test',
      brokers: process.env.KAFKA_BROKERS!.split(','),
      ...(process.env.KAFKA_SASL_MECHANISM
        ? {
            sasl: {
              mechanism: process.env.KAFKA_SASL_MECHANISM as 'scram-sha-512',
              username: process.env.KAFKA_SASL_USERNAME!,
              password: process.env.KAFKA_SASL_PASSWORD!,
            },
          }
        : {}),
    });
    consumer = bus.consumer({ groupId: uniqueGroup('identity-events-test'), fromBeginning: true });
    await consumer.run({
      topics: ['trellis.identity.patient.v1'],
      eachBatch: async (batch, control) => {
        for (const m of batch.messages) {
          const key = m.key ? Buffer.from(m.key).toString('utf8') : '';
          if (Number(key.slice(0, 9)) >= h.rangeFirst && Number(key.slice(0, 9)) <= h.rangeLast) {
            const headers = stringHeaders(m.headers);
            seen.push({
              key,
              type: headers['ce_type'] ?? '',
              headers,
              value: m.value ?? new Uint8Array(),
            });
          }
          control.markDone(m.offset);
        }
        await control.commit();
      },
    });
  });
  afterAll(async () => {
    await consumer?.stop();
    await h?.close();
  });

  const waitFor = (pred: () => boolean, ms = 30_000): Promise<void> =>
    waitUntil('the events', pred, {
      timeoutMs: ms,
      intervalMs: 200,
      detail: () => `seen ${JSON.stringify(seen.map((s) => [s.key, s.type]))}`,
    });

  it('publishes PatientRegistered, PatientUpdated and GpRegistrationChanged in order, keyed by NHS number', async () => {
    const c = h.client();
    const reg = await c.registerPatient({
      patient: person({
        family: 'Kafkaesque',
        given: ['Gregor'],
        birthDate: '1983-07-03',
        gp: 'M81001',
      }),
      overrideDuplicates: false,
      overrideReason: '',
    });
    const nhs = reg.patient!.nhsNumber;
    await c.updatePatient({
      nhsNumber: nhs,
      expectedVersion: 1,
      changes: {
        names: undefined,
        deceasedAt: undefined,
        addresses: undefined,
        telecom: undefined,
        gp: { odsCode: 'E82001', start: '' },
      },
    });
    await waitFor(() => seen.filter((s) => s.key === nhs).length >= 3);
    const mine = seen.filter((s) => s.key === nhs);
    expect(mine.map((s) => s.type)).toEqual([
      'uk.nhs.trellis.identity.PatientRegistered.v1',
      'uk.nhs.trellis.identity.PatientUpdated.v1',
      'uk.nhs.trellis.identity.GpRegistrationChanged.v1',
    ]);
    const ce = parseCloudEventHeaders(mine[0]!.headers);
    expect(ce).toMatchObject({
      source: '/trellis/identity',
      subject: nhs,
      odscode: 'M81001',
      region: 'midlands',
    });
    const registered = events.v1.PatientRegistered.decode(mine[0]!.value);
    expect(registered.patient).toMatchObject({
      nhsNumber: nhs,
      version: 1,
      gpOdsCode: 'M81001',
      region: 'midlands',
    });
    expect(registered.context!.actor!.systemId).toBe('test-gp-system');
    const updated = events.v1.PatientUpdated.decode(mine[1]!.value);
    expect(updated.changedFields).toEqual(['gp']);
    const gp = events.v1.GpRegistrationChanged.decode(mine[2]!.value);
    expect(gp).toMatchObject({
      previousGpOdsCode: 'M81001',
      previousRegion: 'midlands',
      patient: { gpOdsCode: 'E82001', region: 'london' },
    });
    expect(parseCloudEventHeaders(mine[2]!.headers).regions).toEqual(['london', 'midlands']);
  });

  it('publishes PatientDeceased and PatientMerged', async () => {
    const c = h.client();
    const a = (
      await c.registerPatient({
        patient: person({
          family: 'Stream',
          given: ['Ada'],
          birthDate: '1950-01-01',
          gender: identity.v1.Gender.GENDER_FEMALE,
        }),
        overrideDuplicates: false,
        overrideReason: '',
      })
    ).patient!.nhsNumber;
    const b = (
      await c.registerPatient({
        patient: person({
          family: 'Stream',
          given: ['Ada'],
          birthDate: '1950-01-01',
          gender: identity.v1.Gender.GENDER_FEMALE,
        }),
        overrideDuplicates: true,
        overrideReason: 'test',
      })
    ).patient!.nhsNumber;
    await c.mergePatients({
      supersededNhsNumber: b,
      survivorNhsNumber: a,
      expectedSupersededVersion: 0,
      expectedSurvivorVersion: 0,
      reason: 'dup',
    });
    await c.markDeceased({
      nhsNumber: a,
      expectedVersion: 2,
      deceasedAt: { seconds: Math.floor(Date.now() / 1000) - 60, nanos: 0 },
    });
    await waitFor(
      () =>
        seen.some((s) => s.type.endsWith('PatientMerged.v1') && s.key === b) &&
        seen.some((s) => s.type.endsWith('PatientDeceased.v1') && s.key === a),
    );
    const merged = events.v1.PatientMerged.decode(
      seen.find((s) => s.type.endsWith('PatientMerged.v1') && s.key === b)!.value,
    );
    expect(merged).toMatchObject({ supersededNhsNumber: b, patient: { nhsNumber: a, version: 2 } });
    const deceased = events.v1.PatientDeceased.decode(
      seen.find((s) => s.type.endsWith('PatientDeceased.v1'))!.value,
    );
    expect(deceased.patient!.nhsNumber).toBe(a);
    expect(deceased.deceasedAt!.seconds).toBeGreaterThan(0);
  });
});
