import type { Observation } from '@medplum/fhirtypes';
import { FhirError } from '@trellis/fhir';

/** One page of reports from the results platform, as the observations the search matches. */
export interface ReportPage {
  observations: Observation[];
  nextPageToken?: string | undefined;
}

/** Report pages read at most for one page of observations (a sparse code filter stops here). */
const MAX_REPORT_PAGES = 10;

/**
 * The observation page token: `<report page token>~<observations of that report page already
 * answered>` (`~` never occurs in the platform's base64url tokens).
 */
function parseToken(token: string): { reports: string; skip: number } {
  if (token === '') return { reports: '', skip: 0 };
  const m = /^([A-Za-z0-9_\-.=]*)~(\d{1,6})$/.exec(token);
  if (!m)
    throw FhirError.of(
      400,
      'invalid',
      'search.page-token',
      '_page_token is malformed',
      '_page_token',
    );
  return { reports: m[1]!, skip: Number(m[2]) };
}

/**
 * One page of at most `pageSize` observations over the platform's report pages: observations are
 * answered in report order, a report's observations may span two pages, and the next token says
 * where to continue — so `_count` bounds the entries, as FHIR expects, not the reports.
 */
export async function pageObservations(
  fetchReports: (pageToken: string) => Promise<ReportPage>,
  page: { pageSize: number; pageToken: string },
): Promise<{ resources: Observation[]; nextPageToken?: string }> {
  let { reports, skip } = parseToken(page.pageToken);
  const out: Observation[] = [];
  for (let read = 0; read < MAX_REPORT_PAGES; read++) {
    const p = await fetchReports(reports);
    const rest = p.observations.slice(skip);
    const room = page.pageSize - out.length;
    if (rest.length > room) {
      out.push(...rest.slice(0, room));
      return { resources: out, nextPageToken: `${reports}~${skip + room}` };
    }
    out.push(...rest);
    if (!p.nextPageToken) return { resources: out };
    reports = p.nextPageToken;
    skip = 0;
    if (out.length === page.pageSize) break;
  }
  return { resources: out, nextPageToken: `${reports}~0` };
}
