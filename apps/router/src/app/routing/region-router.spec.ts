import { events } from '@trellis/contracts';
import { type ReceivedEvent } from '@trellis/events';

import { type Prisma } from '../prisma';
import { type PatientHomes } from './patient-homes.repository';
import { RegionRouter } from './region-router';
import { type PatientHomeFact } from './regional-policy';

const E = events.v1;
const NHS = '9990000018';
const REGIONS = ['north-east', 'london', 'yorkshire', 'south-west'];

/** The router's patient homes, in memory; records every save. */
class MemoryHomes implements PatientHomes {
  readonly rows = new Map<string, PatientHomeFact>();
  readonly saved: PatientHomeFact[] = [];
  async find(_tx: Prisma.TransactionClient, nhsNumber: string) {
    return this.rows.get(nhsNumber) ?? null;
  }
  async save(_tx: Prisma.TransactionClient, home: PatientHomeFact) {
    this.saved.push(home);
    this.rows.set(home.nhsNumber, home);
  }
}

/** A transaction that takes the outbox's one insert and remembers the topics written. */
function outboxTx(): { tx: Prisma.TransactionClient; topics: string[][] } {
  const topics: string[][] = [];
  const tx = {
    $queryRaw: async (_sql: TemplateStringsArray, ...values: unknown[]) => {
      // the insert's columns are arrays (ids, topics, keys, ...): keep the regional topics
      const columns = values.filter((v): v is unknown[] => Array.isArray(v));
      topics.push(
        columns
          .flat()
          .filter((v): v is string => typeof v === 'string' && v.startsWith('trellis.region.')),
      );
      return [{ n: 1 }];
    },
  } as unknown as Prisma.TransactionClient;
  return { tx, topics };
}

function registered(version: number, region: string): ReceivedEvent {
  const data = E.PatientUpdated.encode(
    E.PatientUpdated.fromPartial({
      patient: { nhsNumber: NHS, version, gpOdsCode: 'L81001', region },
    }),
  ).finish();
  return {
    id: `0b9a3c52-8f64-4f8e-9b7c-6c1f0a7e2d1${version}`,
    type: 'uk.nhs.trellis.identity.PatientUpdated.v1',
    source: '/trellis/identity',
    time: '2026-12-07T21:00:00.000Z',
    specversion: '1.0',
    subject: NHS,
    key: NHS,
    region,
    topic: 'trellis.identity.patient.v1',
    partition: 0,
    offset: '1',
    timestamp: 0,
    data,
    headers: {},
    decode: () => {
      throw new Error('not used');
    },
  } as unknown as ReceivedEvent;
}

describe("RegionRouter: the patient's home", () => {
  it('remembers the home an identity event establishes and routes to it', async () => {
    const homes = new MemoryHomes();
    const { tx, topics } = outboxTx();
    const out = await new RegionRouter(REGIONS, homes).route(registered(2, 'london'), tx);
    expect(out).toEqual(expect.objectContaining({ kind: 'routed', homeRegion: 'london' }));
    expect(homes.rows.get(NHS)).toEqual(expect.objectContaining({ region: 'london', version: 2 }));
    expect(topics).toEqual([['trellis.region.london.v1']]);
  });

  it('keeps a newer home than an older event brings (a redelivered or late event)', async () => {
    const homes = new MemoryHomes();
    homes.rows.set(NHS, {
      nhsNumber: NHS,
      region: 'yorkshire',
      gpOdsCode: 'B82001',
      confidentiality: 'normal',
      version: 5,
    });
    const router = new RegionRouter(REGIONS, homes);
    await router.route(registered(4, 'london'), outboxTx().tx);
    expect(homes.saved).toEqual([]);
    expect(homes.rows.get(NHS)?.region).toBe('yorkshire');
    await router.route(registered(5, 'south-west'), outboxTx().tx);
    expect(homes.saved.map((h) => [h.region, h.version])).toEqual([['south-west', 5]]);
  });
});
