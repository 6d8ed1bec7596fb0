import type { SystemScorecardJson } from '@trellis/contracts';

import { api } from '../api';
import type { Session } from '../auth';

/** One system's card from `GET /admin/v1/…/system-scorecards` (the gateway's JSON). */
export type SystemScorecard = SystemScorecardJson;

interface SystemScorecardPage {
  periodStart: string;
  periodEnd: string;
  scorecards: SystemScorecard[];
  nextPageToken: string;
  total: number;
}

/** May this session read per-system cards: the operator all, an authority its region's. */
export function mayReadSystemRates(session: Session): boolean {
  if (session.role === 'operator') return session.scopes.includes('trellis/admin');
  return (
    session.role === 'regional' &&
    !!session.region &&
    (session.scopes.includes('trellis/admin') ||
      session.scopes.includes(`region/${session.region}/scorecards.read`))
  );
}

/** The route of this session's per-system cards: the nation's, or its region's. */
export function systemRatesPath(session: Session): string {
  return session.role === 'regional' && session.region
    ? `/admin/v1/regions/${encodeURIComponent(session.region)}/system-scorecards`
    : '/admin/v1/system-scorecards';
}

/** The cards of a table page's systems (at most 200), in one call; keyed by system id. */
export async function systemRates(
  session: Session,
  systemIds: readonly string[],
): Promise<Map<string, SystemScorecard>> {
  const q = new URLSearchParams({ pageSize: '200' });
  for (const id of systemIds) q.append('systemId', id);
  const page = await api<SystemScorecardPage>(session, `${systemRatesPath(session)}?${q}`);
  return new Map(page.scorecards.map((c) => [c.systemId, c]));
}

export type Standing = 'compliant' | 'warned' | 'enforced' | 'overridden' | 'unknown';

/** Where the system's product version stands: the policy's state, or the operator's override. */
export function standingOf(card: SystemScorecard | undefined, now = Date.now()): Standing {
  const c = card?.compliance;
  if (!c) return 'unknown';
  if (c.overrideUntil && Date.parse(c.overrideUntil) > now) return 'overridden';
  return c.state === 'warned' || c.state === 'enforced' || c.state === 'compliant'
    ? c.state
    : 'unknown';
}
