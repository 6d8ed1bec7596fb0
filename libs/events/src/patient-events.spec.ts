import { events } from '@trellis/contracts';

import { toCloudEventHeaders, toReceivedEvent } from './cloudevents';
import { PoisonMessageError } from './errors';
import {
  PatientDeceasedEvent,
  patientDeceasedOf,
  PatientMergedEvent,
  patientMergedOf,
  reactToPatientEvent,
} from './patient-events';

const NHS = '9990000018';
const SURVIVOR = '9990000026';

function received(type: { type: string }, value: Uint8Array, key: string | null = NHS) {
  return toReceivedEvent({
    topic: 'trellis.identity.patient.v1',
    partition: 0,
    offset: '3',
    key,
    value,
    headers: toCloudEventHeaders({
      id: 'evt-1',
      source: '/trellis/identity',
      type: type.type,
      time: '2028-03-10T12:00:00Z',
      subject: NHS,
    }),
  });
}

/** identity's PatientMerged of `superseded` into `survivor`. */
function mergeOf(superseded: string, survivor: string) {
  return received(
    PatientMergedEvent,
    PatientMergedEvent.encode(
      events.v1.PatientMerged.fromPartial({
        patient: { nhsNumber: survivor },
        supersededNhsNumber: superseded,
      }),
    ),
  );
}

describe('identity patient events', () => {
  it('reads a death: the payload patient, else the key, and the time of death', () => {
    const at = new Date('2028-03-09T08:00:00.000Z');
    const event = received(
      PatientDeceasedEvent,
      PatientDeceasedEvent.encode({
        deceasedAt: { seconds: at.getTime() / 1000, nanos: 0 },
      } as never),
    );
    expect(patientDeceasedOf(event)).toEqual({ nhsNumber: NHS, deceasedAt: at });
  });
  it('refuses a death naming no patient as poison', () => {
    const event = received(PatientDeceasedEvent, PatientDeceasedEvent.encode({} as never), null);
    expect(() => patientDeceasedOf(event)).toThrow(PoisonMessageError);
  });
  it('reads a merge, and refuses one lacking either number as poison', () => {
    const merged = mergeOf(NHS, SURVIVOR);
    expect(patientMergedOf(merged)).toEqual({ superseded: NHS, survivor: SURVIVOR });
    const partial = received(
      PatientMergedEvent,
      PatientMergedEvent.encode(events.v1.PatientMerged.fromPartial({ supersededNhsNumber: NHS })),
    );
    expect(() => patientMergedOf(partial)).toThrow(PoisonMessageError);
  });

  it("hands a death or a merge to the platform's reactions, and leaves any other event to it", async () => {
    const calls: unknown[] = [];
    const reactions = {
      deceased: (patient: { nhsNumber: string; deceasedAt: Date | undefined }, corr?: string) => {
        calls.push(['deceased', patient, corr]);
        return Promise.resolve(2);
      },
      merged: (superseded: string, survivor: string) => {
        calls.push(['merged', superseded, survivor]);
        return Promise.resolve(3);
      },
    };
    const death = received(
      PatientDeceasedEvent,
      PatientDeceasedEvent.encode(events.v1.PatientDeceased.fromPartial({})),
    );
    const merge = mergeOf(NHS, SURVIVOR);
    const other = received({ type: 'uk.nhs.trellis.identity.PatientUpdated.v1' }, new Uint8Array());
    expect(await reactToPatientEvent(death, reactions)).toEqual({ type: 'deceased', affected: 2 });
    expect(await reactToPatientEvent(merge, reactions)).toEqual({ type: 'merged', affected: 3 });
    expect(await reactToPatientEvent(other, reactions)).toBeUndefined();
    expect(calls).toEqual([
      ['deceased', { nhsNumber: NHS, deceasedAt: undefined }, undefined],
      ['merged', NHS, SURVIVOR],
    ]);
  });

  it('moves nothing, and calls no reaction, for a number merged into itself', async () => {
    const merged = jest.fn(() => Promise.resolve(3));
    const reactions = { deceased: () => Promise.resolve(0), merged };
    expect(await reactToPatientEvent(mergeOf(NHS, NHS), reactions)).toEqual({
      type: 'merged',
      affected: 0,
    });
    expect(merged).not.toHaveBeenCalled();
  });
});
