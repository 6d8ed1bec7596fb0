import { PoisonMessageError, toCloudEventHeaders, toReceivedEvent } from '@trellis/events';

import type { Prisma } from '../app/prisma';
import type { ReferralsService } from '../app/referrals/referrals.service';
import { createInboundEventsHandler } from './inbound-events.handler';
import { PatientDeceasedEvent, PatientMergedEvent } from './referral-event-types';

const tx = {} as Prisma.TransactionClient;
const NHS = '9990000018';

function identityEvent(
  type: typeof PatientDeceasedEvent | typeof PatientMergedEvent,
  value: Uint8Array,
  key: string | null = NHS,
) {
  return toReceivedEvent({
    topic: 'trellis.identity.patient.v1',
    partition: 0,
    offset: '7',
    key,
    value,
    headers: toCloudEventHeaders({
      id: 'evt-1',
      source: '/trellis/identity',
      type: type.type,
      time: '2028-03-10T12:00:00Z',
      subject: NHS,
      correlationid: 'corr-9',
    }),
  });
}

function fakeService() {
  const calls: unknown[][] = [];
  const service = {
    onPatientDeceased: (...args: unknown[]) => {
      calls.push(args);
      return Promise.resolve(3);
    },
  } as unknown as ReferralsService;
  return { service, calls };
}

describe('inbound events handler: PatientDeceased', () => {
  it('cancels the named patient’s open referrals with the date of death and the correlation id', async () => {
    const { service, calls } = fakeService();
    const handle = createInboundEventsHandler(service);
    const event = identityEvent(
      PatientDeceasedEvent,
      PatientDeceasedEvent.encode({
        patient: { nhsNumber: NHS, version: 4, gpOdsCode: 'A81001', region: 'north-east' },
        deceasedAt: { seconds: Date.parse('2028-03-08T06:30:00Z') / 1000, nanos: 0 },
      } as never),
    );
    expect(await handle(event, tx)).toEqual({ type: 'deceased', affected: 3 });
    expect(calls).toEqual([
      [tx, { nhsNumber: NHS, deceasedAt: new Date('2028-03-08T06:30:00Z') }, 'corr-9'],
    ]);
  });

  it('falls back to the Kafka key for the patient and to no date of death', async () => {
    const { service, calls } = fakeService();
    const handle = createInboundEventsHandler(service);
    await handle(identityEvent(PatientDeceasedEvent, PatientDeceasedEvent.encode({} as never)), tx);
    expect(calls).toEqual([[tx, { nhsNumber: NHS, deceasedAt: undefined }, 'corr-9']]);
  });

  it('refuses (poison) a death naming no patient, without touching referrals', async () => {
    const { service, calls } = fakeService();
    const handle = createInboundEventsHandler(service);
    const event = identityEvent(
      PatientDeceasedEvent,
      PatientDeceasedEvent.encode({} as never),
      null,
    );
    await expect(handle(event, tx)).rejects.toBeInstanceOf(PoisonMessageError);
    expect(calls).toEqual([]);
  });
});
