import { api } from '../api';
import type { Session } from '../auth';

export interface SystemSummary {
  id: string;
  name: string;
  supplier: string;
  odsCode: string;
  region: string;
  status: 'active' | 'suspended';
  suspensionReason: string;
  productVersionId: string;
  writesRestricted: boolean;
  changedAt: string;
  changedBy: string;
}

interface SystemPage {
  systems: SystemSummary[];
  nextPageToken: string;
  total: number;
}

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
    // a small first page puts rows on screen sooner; then the registry's largest pages
    const q = new URLSearchParams({
      pageSize: out.length === 0 ? '100' : '500',
      ...(token ? { pageToken: token } : {}),
    });
    const page = await api<SystemPage>(session, `${systemsBase(session)}?${q.toString()}`);
    out.push(...page.systems);
    token = page.nextPageToken;
    if (token) onPage([...out]);
  } while (token);
  return out;
}
