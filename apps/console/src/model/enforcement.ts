import type { HistoryEntryJson } from '@trellis/contracts';

import { api } from '../api';
import type { Session } from '../auth';

/** One entry of `GET /admin/v1/regions/{region}/enforcement-history`. */
export type HistoryEntry = HistoryEntryJson;

export interface HistoryPage {
  region: string;
  entries: HistoryEntry[];
  nextPageToken: string;
  complianceIncluded: boolean;
}

export const enforcementHistory = (
  session: Session,
  region: string,
  pageToken: string,
): Promise<HistoryPage> =>
  api<HistoryPage>(
    session,
    `/admin/v1/regions/${encodeURIComponent(region)}/enforcement-history?${new URLSearchParams({
      pageSize: '20',
      ...(pageToken ? { pageToken } : {}),
    }).toString()}`,
  );

const REGISTRY: Readonly<Record<string, string>> = {
  SUSPENDED: 'suspended',
  REACTIVATED: 'reinstated',
  WRITES_RESTRICTED: 'writes withdrawn (compliance enforcement)',
  WRITES_RESTORED: 'writes given back',
  PRODUCT_VERSION_ASSIGNED: 'product version assigned',
};

/** The entry in a few plain words. */
export function eventLabel(e: HistoryEntry): string {
  if (e.kind === 'registry') return REGISTRY[e.event] ?? e.event.toLowerCase();
  if (e.kind === 'lifecycle') return `${e.from || 'new'} → ${e.to}`;
  return `${e.from} → ${e.to} (${e.event})`;
}
