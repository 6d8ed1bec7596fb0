import { mayActInRegion, type Caller } from '@trellis/auth';

import { ReferralsError, ReferralsErrorCode } from '../domain/referrals.errors';
import { WAITING_BANDS } from '../domain/rtt';
import type { WaitingListRow } from './referrals.repository';

export interface WaitingList {
  odsCode: string;
  region: string;
  /** Set on a per-specialty row. */
  specialtyCode?: string;
  total: number;
  bands: { label: string; minWeeks: number; maxWeeks: number; count: number }[];
  breached18Weeks: number;
  breachedTwoWeekWait: number;
}

export function emptyRow(odsCode: string, region: string): WaitingListRow {
  return {
    odsCode,
    region,
    total: 0,
    bands: WAITING_BANDS.map(() => 0),
    breached18Weeks: 0,
    breachedTwoWeekWait: 0,
  };
}

export function toWaitingList(r: WaitingListRow): WaitingList {
  return {
    odsCode: r.odsCode,
    region: r.region,
    ...(r.specialtyCode !== undefined ? { specialtyCode: r.specialtyCode } : {}),
    total: r.total,
    bands: WAITING_BANDS.map((b, i) => ({
      label: b.label,
      minWeeks: b.min,
      maxWeeks: b.max ?? -1,
      count: r.bands[i] ?? 0,
    })),
    breached18Weeks: r.breached18Weeks,
    breachedTwoWeekWait: r.breachedTwoWeekWait,
  };
}

/** The sum of rows (a region's total), keyed by `odsCode`/`region` given. */
export function sumRows(
  rows: readonly WaitingListRow[],
  odsCode: string,
  region: string,
): WaitingListRow {
  return rows.reduce<WaitingListRow>(
    (acc, r) => ({
      ...acc,
      total: acc.total + r.total,
      bands: acc.bands.map((b, i) => b + (r.bands[i] ?? 0)),
      breached18Weeks: acc.breached18Weeks + r.breached18Weeks,
      breachedTwoWeekWait: acc.breachedTwoWeekWait + r.breachedTwoWeekWait,
    }),
    emptyRow(odsCode, region),
  );
}

/**
 * Regional waiting lists (issue 18) are for the region's digital authority (its
 * region/<region>/waiting-lists.read scope and its token's region) and the national operator;
 * a provider reads its own list (GetProviderWaitingList), never the region's by specialty.
 */
export function assertRegionalReader(
  caller: Pick<Caller, 'scopes' | 'region' | 'systemId'>,
  region: string,
): void {
  if (mayActInRegion(caller, region, 'waiting-lists.read')) return;
  const message = `${caller.systemId} may not read ${region}'s regional waiting lists (the region's authority or the national operator only)`;
  throw new ReferralsError(
    ReferralsErrorCode.NotOwnWaitingList,
    message,
    { requested: region, caller: caller.region },
    [{ field: 'region', rule: 'waiting-list.region-authority', message }],
  );
}
