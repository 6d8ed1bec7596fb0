import type { Bundle, MeasureReport, MeasureReportGroup } from '@medplum/fhirtypes';
import { referrals } from '@trellis/contracts';

/** Trellis' RTT waiting-list measure and its codes (regional views, issue 18). */
export const WAITING_LIST_MEASURE_ID = 'trellis-rtt-waiting-list';
const CODES = 'https://fhir.trellis.nhs.uk/CodeSystem/rtt-waiting-list';
const SPECIALTY = 'https://fhir.trellis.nhs.uk/CodeSystem/specialty';
const REGION_ID = 'https://fhir.trellis.nhs.uk/Id/region';
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const POPULATION = 'http://terminology.hl7.org/CodeSystem/measure-population';

const code = (c: string, display: string) => ({
  coding: [{ system: CODES, code: c, display }],
  text: display,
});
const pop = (c: string, count: number) => ({
  code: { coding: [{ system: POPULATION, code: c }] },
  count,
});
const n = (v: number | undefined): number => Number(v ?? 0);
// protobufjs/ts-proto names breached_18_weeks breached18Weeks
const breached18 = (w: referrals.v1.WaitingList): number => n(w.breached18Weeks);

/**
 * One provider's (or the region's) open RTT pathways as a FHIR MeasureReport (type summary):
 * the waiting list by weeks-waited band and by specialty, and the 18-week and two-week-wait
 * breaches as numerator over the pathways waiting.
 */
export function waitingListToMeasureReport(
  region: string,
  w: referrals.v1.WaitingList,
  bySpecialty: readonly referrals.v1.WaitingList[],
  asOf: Date,
  fhirBase: string,
): MeasureReport {
  const specialtyStrata = (count: (s: referrals.v1.WaitingList) => number, c: string) => [
    {
      code: [code('specialty', 'Specialty')],
      stratum: bySpecialty.map((s) => ({
        value: { coding: [{ system: SPECIALTY, code: s.specialtyCode }], text: s.specialtyCode },
        population: [pop(c, count(s))],
      })),
    },
  ];
  const breach = (c: string, display: string, count: (s: referrals.v1.WaitingList) => number) =>
    ({
      code: code(c, display),
      population: [pop('denominator', n(w.total)), pop('numerator', count(w))],
      measureScore: { value: n(w.total) === 0 ? 0 : count(w) / n(w.total) },
      ...(bySpecialty.length > 0 ? { stratifier: specialtyStrata(count, 'numerator') } : {}),
    }) satisfies MeasureReportGroup;
  const waiting: MeasureReportGroup = {
    code: code('waiting', 'Open RTT pathways'),
    population: [pop('initial-population', n(w.total))],
    stratifier: [
      {
        code: [code('weeks-waited', 'Weeks waited')],
        stratum: w.bands.map((b) => ({
          value: { text: b.label },
          population: [pop('initial-population', n(b.count))],
        })),
      },
      ...(bySpecialty.length > 0 ? specialtyStrata((s) => n(s.total), 'initial-population') : []),
    ],
  };
  const day = asOf.toISOString();
  return {
    resourceType: 'MeasureReport',
    id: `wl-${region}-${w.odsCode || 'all'}`.toLowerCase().slice(0, 64),
    identifier: [{ system: REGION_ID, value: region }],
    status: 'complete',
    type: 'summary',
    measure: `${fhirBase}/Measure/${WAITING_LIST_MEASURE_ID}`,
    date: day,
    period: { start: day, end: day },
    ...(w.odsCode ? { reporter: { identifier: { system: ODS, value: w.odsCode } } } : {}),
    group: [
      waiting,
      breach('breached-18-weeks', 'Waiting more than 18 weeks', breached18),
      breach('breached-two-week-wait', 'Two-week-wait first appointment breaches', (s) =>
        n(s.breachedTwoWeekWait),
      ),
    ],
  };
}

/** The region's lists as a searchset: the region total first, then one report per provider. */
export function regionalWaitingListsBundle(
  region: string,
  r: referrals.v1.GetRegionalWaitingListsResponse,
  asOf: Date,
  fhirBase: string,
  self: string,
): Bundle {
  const reports = [
    waitingListToMeasureReport(region, r.total ?? emptyList(region), [], asOf, fhirBase),
    ...r.providers.map((p) =>
      waitingListToMeasureReport(
        region,
        p,
        r.providerSpecialties.filter((s) => s.odsCode === p.odsCode),
        asOf,
        fhirBase,
      ),
    ),
  ];
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: reports.length,
    link: [{ relation: 'self', url: self }],
    entry: reports.map((resource) => ({
      fullUrl: `${fhirBase}/MeasureReport/${resource.id}`,
      resource,
      search: { mode: 'match' },
    })),
  };
}

function emptyList(region: string): referrals.v1.WaitingList {
  return {
    odsCode: '',
    region,
    total: 0,
    bands: [],
    breached18Weeks: 0,
    breachedTwoWeekWait: 0,
    specialtyCode: '',
  };
}
