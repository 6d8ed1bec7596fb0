// The console reads what the gateway's renderer writes: regionalWaitingListsBundle.
import { referrals } from '@trellis/contracts';

// contract test: the console's reader against the gateway's own renderer (test code only)
// eslint-disable-next-line @nx/enforce-module-boundaries
import { regionalWaitingListsBundle } from '../../../gateway/src/app/fhir/waiting-list-report';
import { resourcesOf, type Bundle } from './fhir';
import { regionListsOf, type WaitingListReport } from './waiting-lists';

const list = (odsCode: string, specialtyCode: string, total: number, b18: number, b2: number) => ({
  odsCode,
  region: 'north-east',
  specialtyCode,
  total,
  bands: [{ label: '0-5', minWeeks: 0, maxWeeks: 5, count: total }],
  breached18Weeks: b18,
  breachedTwoWeekWait: b2,
});

describe('regional waiting lists as the console reads them', () => {
  it('gives the total, each provider and each specialty summed over providers', () => {
    const bundle = regionalWaitingListsBundle(
      'north-east',
      referrals.v1.GetRegionalWaitingListsResponse.fromPartial({
        total: list('', '', 9, 3, 1),
        providers: [list('RTD', '', 5, 1, 1), list('RR8', '', 4, 2, 0)],
        providerSpecialties: [
          list('RTD', 'cardiology', 3, 1, 0),
          list('RTD', 'dermatology', 2, 0, 1),
          list('RR8', 'cardiology', 4, 2, 0),
        ],
      }),
      new Date('2029-03-15T00:00:00Z'),
      'https://trellis.example/fhir',
      'https://trellis.example/fhir/MeasureReport/$regional-waiting-lists?region=north-east',
    );
    const l = regionListsOf(
      resourcesOf(bundle as unknown as Bundle<WaitingListReport>, 'MeasureReport'),
    );
    expect(l.total).toEqual({ key: '', waiting: 9, breached18Weeks: 3, breachedTwoWeekWait: 1 });
    expect(l.providers).toEqual([
      { key: 'RTD', waiting: 5, breached18Weeks: 1, breachedTwoWeekWait: 1 },
      { key: 'RR8', waiting: 4, breached18Weeks: 2, breachedTwoWeekWait: 0 },
    ]);
    expect(l.specialties).toEqual([
      { key: 'cardiology', waiting: 7, breached18Weeks: 3, breachedTwoWeekWait: 0 },
      { key: 'dermatology', waiting: 2, breached18Weeks: 0, breachedTwoWeekWait: 1 },
    ]);
  });
});
