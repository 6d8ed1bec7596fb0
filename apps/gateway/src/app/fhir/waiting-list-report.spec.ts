import { validateFhirResource } from '@trellis/fhir';

import { regionalWaitingListsBundle, waitingListToMeasureReport } from './waiting-list-report';

const bands = (counts: number[]) =>
  ['0-5', '6-11', '12-17', '18-25', '26-51', '52+'].map((label, i) => ({
    label,
    minWeeks: 0,
    maxWeeks: -1,
    count: counts[i] ?? 0,
  }));
const list = (odsCode: string, specialtyCode: string, total: number, b18: number, b2: number) => ({
  odsCode,
  region: 'north-east',
  specialtyCode,
  total,
  bands: bands([total - b18, 0, 0, b18]),
  breached18Weeks: b18,
  breachedTwoWeekWait: b2,
});

describe('waiting lists as FHIR MeasureReport', () => {
  const asOf = new Date('2029-03-15T00:00:00Z');
  const base = 'https://trellis.example/fhir';

  it('renders a provider with its specialties: valid FHIR, breaches as numerator over waiting', () => {
    const r = waitingListToMeasureReport(
      'north-east',
      list('RTD', '', 5, 1, 1),
      [list('RTD', 'cardiology', 3, 1, 0), list('RTD', 'dermatology', 2, 0, 1)],
      asOf,
      base,
    );
    expect(validateFhirResource(r).issues).toEqual([]);
    expect(r.reporter?.identifier?.value).toBe('RTD');
    const [waiting, b18, b2] = r.group ?? [];
    expect(waiting?.population?.[0]?.count).toBe(5);
    expect(
      waiting?.stratifier?.[1]?.stratum?.map((s) => [s.value?.text, s.population?.[0]?.count]),
    ).toEqual([
      ['cardiology', 3],
      ['dermatology', 2],
    ]);
    expect(b18?.population?.map((p) => p.count)).toEqual([5, 1]);
    expect(b18?.measureScore?.value).toBeCloseTo(0.2);
    expect(b2?.stratifier?.[0]?.stratum?.map((s) => s.population?.[0]?.count)).toEqual([0, 1]);
  });

  it('a region with no pathways is one valid, empty total report', () => {
    const b = regionalWaitingListsBundle(
      'london',
      { total: list('', '', 0, 0, 0), providers: [], providerSpecialties: [], asOf: undefined },
      asOf,
      base,
      `${base}/MeasureReport/$regional-waiting-lists?region=london`,
    );
    expect(b.entry).toHaveLength(1);
    const report = b.entry?.[0]?.resource;
    expect(report && validateFhirResource(report).issues).toEqual([]);
    expect(validateFhirResource(b).issues).toEqual([]);
  });
});
