import { FhirError } from '@trellis/fhir';

import { type FhirSearchParam, type SearchQuery } from '../fhir/fhir.search';
import { type ScorecardSubject } from './measure-report';

const DAY_MS = 24 * 3600_000;
const ID = /^[A-Za-z0-9@._+-]{1,128}$/;

/**
 * The MeasureReport search table (fhir.search.ts): the one list the query is checked against and
 * the CapabilityStatement declares. Unknown parameters are refused (or dropped under
 * `Prefer: handling=lenient`) by the shared parser before the handler runs.
 */
export const MEASURE_REPORT_SEARCH_PARAMS: FhirSearchParam[] = [
  {
    name: 'subject',
    type: 'reference',
    documentation:
      'Required, once: Device/<connected system id> (one deployment) or Group/<product version id> (every deployment of it)',
  },
  {
    name: 'period',
    type: 'date',
    and: true,
    documentation:
      'ge<start> and lt<end> (gt/le accepted), or one day (period=YYYY-MM-DD); at most 31 days; none = the last 24 hours up to the current minute',
  },
];

export interface ScorecardQuery {
  subject: ScorecardSubject;
  start: Date;
  end: Date;
}

const bad = (message: string, expression: string): FhirError =>
  FhirError.of(400, 'invalid', 'fhir.search-param', message, expression);

/** FHIR dateTime → Date; a date alone ("2026-12-06") is that day's start, UTC. */
function instant(v: string, param: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(v))
    throw bad(`period ${v.slice(0, 40)} is not a FHIR date or dateTime`, param);
  const d = new Date(v.length === 10 ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(d.getTime())) throw bad(`period ${v.slice(0, 40)} is not a valid date`, param);
  return d;
}

/**
 * `subject=Device/<system id>` (a deployment) or `Group/<product version id>` (every deployment of
 * it), and `period`: `ge<start>` + `lt<end>` (le/gt accepted), or one day (`period=2026-12-06`);
 * none = the last 24 hours up to the current minute. The search has one page at most (one report
 * per subject and period): a `_page_token` cannot come from it.
 */
export function scorecardQueryOf(search: SearchQuery, now: Date): ScorecardQuery {
  if (search.pageToken)
    throw FhirError.of(
      400,
      'invalid',
      'search.page-token',
      'this search has a single page: no _page_token comes from it',
      '_page_token',
    );
  // a repeated subject with a different value is refused by the table (search.repeated-parameter)
  const subjectValue = search.one('subject');
  if (subjectValue === undefined) throw bad('exactly one subject is required', 'subject');
  const m = /^(Device|Group)\/(.+)$/.exec(subjectValue);
  if (!m || !ID.test(m[2]!))
    throw bad(
      'subject must be Device/<connected system id> or Group/<product version id>',
      'subject',
    );
  const subject: ScorecardSubject = {
    kind: m[1] === 'Device' ? 'system' : 'product-version',
    id: m[2]!,
  };

  let start: Date | undefined;
  let end: Date | undefined;
  const periods = search.values('period');
  if (periods.length === 0) {
    end = new Date(Math.ceil(now.getTime() / 60_000) * 60_000);
    start = new Date(end.getTime() - DAY_MS);
  } else if (periods.length === 1 && /^(eq)?\d{4}-\d{2}-\d{2}$/.test(periods[0]!)) {
    start = instant(periods[0]!.replace(/^eq/, ''), 'period');
    end = new Date(start.getTime() + DAY_MS);
  } else {
    for (const p of periods) {
      const prefix = p.slice(0, 2);
      const at = instant(p.slice(2), 'period');
      if (prefix === 'ge' || prefix === 'gt') start = at;
      else if (prefix === 'lt' || prefix === 'le') end = at;
      else throw bad('period takes ge/gt and lt/le prefixes (or one day)', 'period');
    }
  }
  if (!start || !end) throw bad('period needs both a start (ge) and an end (lt)', 'period');
  if (!(start < end)) throw bad('period must end after it starts', 'period');
  if (end.getTime() - start.getTime() > 31 * DAY_MS)
    throw bad('period is at most 31 days', 'period');
  return { subject, start, end };
}
