// A region's RTT waiting lists as the gateway serves them (GET /fhir/MeasureReport/
// $regional-waiting-lists?region=, docs/regional-authorities.md): the region's total first, then one
// MeasureReport per provider, read here into rows by provider and by specialty.
import { codeOf, type CodeableConcept } from './fhir';

interface Population {
  code?: CodeableConcept;
  count?: number;
}

interface Group {
  code?: CodeableConcept;
  population?: Population[];
  stratifier?: Array<{
    code?: CodeableConcept[];
    stratum?: Array<{ value?: CodeableConcept; population?: Population[] }>;
  }>;
}

export interface WaitingListReport {
  resourceType: 'MeasureReport';
  reporter?: { identifier?: { value?: string } };
  group?: Group[];
}

export interface ListRow {
  /** ODS code of the provider, a specialty code, or '' for the region's total. */
  key: string;
  waiting: number;
  breached18Weeks: number;
  breachedTwoWeekWait: number;
}

const group = (r: WaitingListReport, code: string) => r.group?.find((g) => codeOf(g.code) === code);
const pop = (g: Group | undefined, code: string): number =>
  g?.population?.find((p) => codeOf(p.code) === code)?.count ?? 0;

/** Counts per stratum value of a group's stratifier named `stratifier`. */
function strata(g: Group | undefined, stratifier: string): Map<string, number> {
  const s = g?.stratifier?.find((x) => x.code?.some((c) => codeOf(c) === stratifier));
  return new Map(
    (s?.stratum ?? []).map((st) => [codeOf(st.value), st.population?.[0]?.count ?? 0]),
  );
}

export interface RegionLists {
  total: ListRow;
  providers: ListRow[];
  specialties: ListRow[];
}

export function regionListsOf(reports: WaitingListReport[]): RegionLists {
  const rowOf = (r: WaitingListReport): ListRow => ({
    key: r.reporter?.identifier?.value ?? '',
    waiting: pop(group(r, 'waiting'), 'initial-population'),
    breached18Weeks: pop(group(r, 'breached-18-weeks'), 'numerator'),
    breachedTwoWeekWait: pop(group(r, 'breached-two-week-wait'), 'numerator'),
  });
  const totalReport = reports.find((r) => !r.reporter?.identifier?.value);
  const providerReports = reports.filter((r) => r.reporter?.identifier?.value);
  const bySpecialty = new Map<string, ListRow>();
  for (const r of providerReports) {
    const waiting = strata(group(r, 'waiting'), 'specialty');
    const b18 = strata(group(r, 'breached-18-weeks'), 'specialty');
    const b2 = strata(group(r, 'breached-two-week-wait'), 'specialty');
    for (const [key, n] of waiting) {
      const row = bySpecialty.get(key) ?? {
        key,
        waiting: 0,
        breached18Weeks: 0,
        breachedTwoWeekWait: 0,
      };
      row.waiting += n;
      row.breached18Weeks += b18.get(key) ?? 0;
      row.breachedTwoWeekWait += b2.get(key) ?? 0;
      bySpecialty.set(key, row);
    }
  }
  return {
    total: totalReport
      ? rowOf(totalReport)
      : { key: '', waiting: 0, breached18Weeks: 0, breachedTwoWeekWait: 0 },
    providers: providerReports.map(rowOf).sort((a, b) => b.waiting - a.waiting),
    specialties: [...bySpecialty.values()].sort((a, b) => b.waiting - a.waiting),
  };
}

export interface StreamHealth {
  topic: string;
  totalLag: number;
  asOf: string;
  subscribers: Array<{
    groupId: string;
    lag: number;
    partitions: Array<{ partition: number; committed: string; highWatermark: string; lag: number }>;
  }>;
}
