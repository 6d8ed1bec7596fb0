// Regional waiting lists (issue 18): by provider and by provider × specialty with RTT breaches,
// for the region's digital authority and the national operator only; the figures are those the
// test computes from the referrals it created, with the platform's clock rules (domain/rtt.ts).
import { randomUUID } from 'node:crypto';

import { status } from '@grpc/grpc-js';
import { referrals } from '@trellis/contracts';

import { rttStatus, WAITING_BANDS } from '../src/app/domain/rtt';
import { testNhsNumber } from './support/harness';
import { startService, type ServiceUnderTest } from './support/service-under-test';

const DAY = 86_400_000;
const PRIORITY = { routine: 1, urgent: 2, 'two-week-wait': 3 } as const;
type Priority = keyof typeof PRIORITY;

type Wire = referrals.v1.WaitingList;
interface Figures {
  total: number;
  bands: number[];
  breached18: number;
  breached2ww: number;
}
const figures = (w: Wire | undefined): Figures => ({
  total: Number(w!.total),
  bands: w!.bands.map((b) => Number(b.count)),
  breached18: Number(w!.breached18Weeks),
  breached2ww: Number(w!.breachedTwoWeekWait),
});

describe('regional waiting lists over gRPC', () => {
  let svc: ServiceUnderTest;
  const tokens: Record<string, string> = {};
  const now = new Date('2029-03-15T12:00:00Z');
  // what the test itself expects, per "ods|specialty"
  const expected = new Map<string, Figures>();

  async function refer(
    gp: string,
    ods: string,
    region: string,
    specialty: string,
    priority: Priority,
    daysAgo: number,
  ): Promise<string> {
    svc.clock.set(new Date(now.getTime() - daysAgo * DAY));
    const nhsNumber = testNhsNumber();
    svc.identity.add({ nhsNumber });
    const res = await svc.client.referrals.sendReferral(
      {
        idempotencyKey: `rwl-${randomUUID()}`,
        nhsNumber,
        practitionerId: 'G8123456',
        target: { odsCode: ods, region, specialtyCode: specialty },
        priority: PRIORITY[priority],
        reason: { code: '29857009', display: 'Chest pain' },
        clinicalSummary: 'Synthetic',
      },
      svc.client.as(gp),
    );
    return res.referral!.id;
  }

  function count(ods: string, specialty: string, priority: Priority, startedAt: Date): void {
    const s = rttStatus({ priority, startedAt }, now);
    const key = `${ods}|${specialty}`;
    const f = expected.get(key) ?? {
      total: 0,
      bands: WAITING_BANDS.map(() => 0),
      breached18: 0,
      breached2ww: 0,
    };
    f.total += 1;
    const band = WAITING_BANDS.findIndex(
      (b) => s.weeksWaited >= b.min && (b.max === undefined || s.weeksWaited <= b.max),
    );
    f.bands[band]! += 1;
    if (s.breached18Weeks) f.breached18 += 1;
    if (s.breachedTwoWeekWait) f.breached2ww += 1;
    expected.set(key, f);
  }

  function sum(keys: (k: string) => boolean): Figures {
    const out: Figures = {
      total: 0,
      bands: WAITING_BANDS.map(() => 0),
      breached18: 0,
      breached2ww: 0,
    };
    for (const [k, f] of expected)
      if (keys(k)) {
        out.total += f.total;
        out.bands = out.bands.map((b, i) => b + (f.bands[i] ?? 0));
        out.breached18 += f.breached18;
        out.breached2ww += f.breached2ww;
      }
    return out;
  }

  beforeAll(async () => {
    svc = await startService();
    const issue = (systemId: string, odsCode: string, region: string, scopes: string[]) =>
      svc.authority.issue({ systemId, odsCode, region, scopes });
    tokens['gp'] = await issue('gp', 'A81001', 'north-east', ['system/ServiceRequest.cruds']);
    tokens['ne'] = await issue('ne-authority', 'YRA01', 'north-east', [
      'region/north-east/waiting-lists.read',
    ]);
    tokens['london'] = await issue('london-authority', 'YRA06', 'london', [
      'region/london/waiting-lists.read',
    ]);
    tokens['national'] = await issue('operator', 'X26', 'london', ['trellis/admin']);
    tokens['rtd'] = await issue('rtd-epr', 'RTD', 'north-east', ['system/ServiceRequest.cruds']);
    // a north-east authority whose token names another region acts nowhere
    tokens['mismatch'] = await issue('odd', 'YRA01', 'london', [
      'region/north-east/waiting-lists.read',
    ]);

    const plan: [string, string, Priority, number][] = [
      ['RTD', 'cardiology', 'routine', 3],
      ['RTD', 'cardiology', 'urgent', 45],
      ['RTD', 'cardiology', 'routine', 130], // > 18 weeks
      ['RTD', 'dermatology', 'two-week-wait', 10], // not yet a 2WW breach
      ['RTD', 'dermatology', 'two-week-wait', 20], // 2WW breach (no first appointment)
      ['RXA', 'cardiology', 'routine', 200],
      ['RXA', 'orthopaedics', 'urgent', 400],
      ['RXA', 'orthopaedics', 'routine', 90],
    ];
    for (const [ods, specialty, priority, daysAgo] of plan) {
      await refer(tokens['gp'], ods, 'north-east', specialty, priority, daysAgo);
      count(ods, specialty, priority, new Date(now.getTime() - daysAgo * DAY));
    }
    // not on north-east's lists: another region's provider, and a closed pathway
    await refer(tokens['gp'], 'RTH', 'south-east', 'cardiology', 'routine', 30);
    const closed = await refer(tokens['gp'], 'RTD', 'north-east', 'cardiology', 'routine', 60);
    svc.clock.set(now);
    await svc.client.referrals.rejectReferral(
      { referralId: closed, reason: 'wrong service' },
      svc.client.as(tokens['rtd']),
    );
  });

  afterAll(async () => {
    await svc?.stop();
  });

  async function regional(token: string, region = 'north-east') {
    return svc.client.referrals.getRegionalWaitingLists({ region }, svc.client.as(token));
  }

  it("the region's authority reads figures equal to the test's own computation", async () => {
    const r = await regional(tokens['ne']!);
    expect(figures(r.total)).toEqual(sum(() => true));
    expect(r.total!.region).toBe('north-east');
    expect(r.providers.map((p) => [p.odsCode, figures(p)])).toEqual(
      ['RTD', 'RXA'].map((ods) => [ods, sum((k) => k.startsWith(`${ods}|`))]),
    );
    expect(
      r.providerSpecialties.map((p) => [`${p.odsCode}|${p.specialtyCode}`, figures(p)]),
    ).toEqual([...expected.keys()].sort().map((k) => [k, expected.get(k)]));
    // the breaches are really there: 3 over 18 weeks, 1 two-week-wait
    expect(figures(r.total).breached18).toBe(3);
    expect(figures(r.total).breached2ww).toBe(1);
  });

  it('the national operator reads any region; another region, a mismatched token and a provider are refused', async () => {
    const mine = await regional(tokens['ne']!);
    expect(await regional(tokens['national']!)).toEqual(mine);
    const refused = async (token: string, region = 'north-east') =>
      svc.client.fail(regional(token, region)).then((e) => status[e.code]);
    expect(await refused(tokens['london']!)).toBe('PERMISSION_DENIED');
    expect(await refused(tokens['mismatch']!)).toBe('PERMISSION_DENIED');
    expect(await refused(tokens['rtd']!)).toBe('PERMISSION_DENIED');
    expect(await refused(tokens['gp']!)).toBe('PERMISSION_DENIED');
    expect(await refused(tokens['ne']!, 'atlantis-x')).toBe('PERMISSION_DENIED');
    expect(await refused(tokens['ne']!, 'North')).toBe('INVALID_ARGUMENT');
    // london's own (empty) lists are london's to read
    expect(figures((await regional(tokens['london']!, 'london')).total).total).toBe(0);
  });

  it('a provider reads its own list by specialty, the same figures', async () => {
    const own = await svc.client.referrals.getProviderWaitingList({}, svc.client.as(tokens['rtd']));
    expect(figures(own.waitingList)).toEqual(sum((k) => k.startsWith('RTD|')));
    expect(own.bySpecialty.map((p) => [p.specialtyCode, figures(p)])).toEqual([
      ['cardiology', expected.get('RTD|cardiology')],
      ['dermatology', expected.get('RTD|dermatology')],
    ]);
  });
});
