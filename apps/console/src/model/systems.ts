import type { SystemPageJson, SystemSummaryJson } from '@trellis/contracts';

import { api } from '../api';
import type { Session } from '../auth';

/** A connected system from the registry routes (the gateway's JSON). */
export type SystemSummary = SystemSummaryJson;

/** The registry's JSON routes for this session: the nation's, or one region's. */
export function systemsBase(session: Session): string {
  return session.role === 'regional' && session.region
    ? `/admin/v1/regions/${encodeURIComponent(session.region)}/systems`
    : '/admin/v1/systems';
}

export const systemsKey = (session: Session): string[] => ['systems', systemsBase(session)];

/** Every page of the registry, in order; each page is shown as it arrives (`onPage`). */
export async function allSystems(
  session: Session,
  onPage: (soFar: SystemSummary[]) => void,
): Promise<SystemSummary[]> {
  const out: SystemSummary[] = [];
  let token = '';
  do {
    // a first page of one table page puts rows on screen soonest; then the registry's largest
    const q = new URLSearchParams({
      pageSize: out.length === 0 ? '50' : '500',
      ...(token ? { pageToken: token } : {}),
    });
    const page = await api<SystemPageJson>(session, `${systemsBase(session)}?${q.toString()}`);
    out.push(...page.systems);
    token = page.nextPageToken;
    if (token) onPage([...out]);
  } while (token);
  return out;
}

/** The onboarding step a regional act moves a system to next (issue 18's lifecycle). */
export const NEXT_STEP: Readonly<Record<string, { to: string; label: string } | undefined>> = {
  registered: { to: 'sandbox', label: 'Admit to sandbox' },
  sandbox: { to: 'certified', label: 'Mark certified' },
  certified: { to: 'live', label: 'Approve go-live' },
};

/** The operator's act on a role without a conformance scheme (never certified, issue 18). */
export const NATIONAL_LIVE = { to: 'live', label: 'Approve live (national act)' } as const;

export type LifecycleOffer =
  { kind: 'act'; to: string; label: string } | { kind: 'explain'; text: string };

/**
 * The lifecycle move the gateway allows this session on this system, or why it has none. A
 * product of role `other` has no conformance scheme: sandbox → live, by the national operator
 * only (rules lifecycle.sandbox-to-certified, lifecycle.no-scheme-live-national-only).
 */
export function lifecycleOffer(session: Session, s: SystemSummary): LifecycleOffer | undefined {
  // the gateway refuses any move of theirs (lifecycle.governance-principal): nothing to offer
  if (s.governance) return undefined;
  if (!mayApprove(session) || !s.lifecycle) return undefined;
  if (s.productRole !== 'other') {
    const next = NEXT_STEP[s.lifecycle];
    return next && { kind: 'act', ...next };
  }
  if (s.lifecycle === 'registered')
    return { kind: 'act', to: 'sandbox', label: 'Admit to sandbox' };
  if (s.lifecycle !== 'sandbox' && s.lifecycle !== 'certified') return undefined;
  if (session.scopes.includes('trellis/admin')) return { kind: 'act', ...NATIONAL_LIVE };
  return {
    kind: 'explain',
    text: 'Go-live needs the national operator: its product (role other) has no conformance scheme, so it is never certified.',
  };
}

/** What the lifecycle column shows: a governance client has no lifecycle state that matters. */
export function lifecycleLabel(s: SystemSummary): string {
  return s.governance ? 'governance client' : (s.lifecycle ?? '—');
}

/** May this session move systems through their lifecycle (region-bound for an authority)? */
export function mayApprove(session: Session): boolean {
  if (session.scopes.includes('trellis/admin')) return true;
  return (
    session.role === 'regional' &&
    !!session.region &&
    (session.scopes.includes(`region/${session.region}/systems.write`) ||
      session.scopes.includes('region/*/systems.write') ||
      session.scopes.includes('trellis/region.admin'))
  );
}

/** The lifecycle route of a system (its own region's; the operator's acts are national overrides). */
export const lifecyclePath = (s: SystemSummary): string =>
  `/admin/v1/regions/${encodeURIComponent(s.region)}/systems/${encodeURIComponent(s.id)}/lifecycle`;
