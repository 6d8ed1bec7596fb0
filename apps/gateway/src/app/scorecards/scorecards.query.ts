import { FhirError } from '@trellis/fhir';

import { type ScorecardSubject } from './measure-report';

const DAY_MS = 24 * 3600_000;
const ID = /^[A-Za-z0-9@._+-]{1,128}$/;

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
 * none = the last 24 hours up to the current minute.
 */
export function parseScorecardQuery(originalUrl: string, now: Date): ScorecardQuery {
  const params = new URLSearchParams(originalUrl.split('?')[1] ?? '');
  for (const key of params.keys())
    if (!['subject', 'period', '_format'].includes(key))
      throw bad(`unknown search parameter ${key.slice(0, 40)}`, key.slice(0, 40));
  const subjects = params.getAll('subject');
  if (subjects.length !== 1) throw bad('exactly one subject is required', 'subject');
  const m = /^(Device|Group)\/(.+)$/.exec(subjects[0]!);
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
  const periods = params.getAll('period');
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
