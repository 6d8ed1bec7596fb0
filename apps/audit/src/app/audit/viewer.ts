import { mayActInRegion, TRELLIS_SCOPES, type Caller } from '@trellis/auth';

import type { StoredAccess } from '../store/access-events.repository';

/**
 * Whose audit a caller may read: the national operator every record; a regional authority
 * (trellis/region.admin, or region/<its region>/audit.read) the accesses made by organisations of its region; a connected system
 * only the accesses its own organisation made (never another organisation's); a citizen (patient
 * token) only the accesses to their own record.
 */
export type Viewer =
  | { kind: 'operator' }
  | { kind: 'region'; region: string }
  | { kind: 'organisation'; odsCode: string }
  | { kind: 'patient'; nhsNumber: string };

export function viewerOf(caller: Caller): Viewer {
  if (caller.patient) return { kind: 'patient', nhsNumber: caller.patient };
  if (caller.scopes.includes(TRELLIS_SCOPES.admin)) return { kind: 'operator' };
  if (caller.scopes.includes(TRELLIS_SCOPES.regionAdmin) && caller.region)
    return { kind: 'region', region: caller.region };
  if (caller.region && mayActInRegion(caller, caller.region, 'audit.read'))
    return { kind: 'region', region: caller.region };
  return { kind: 'organisation', odsCode: caller.odsCode };
}

export function canSee(viewer: Viewer, access: StoredAccess): boolean {
  switch (viewer.kind) {
    case 'operator':
      return true;
    case 'region':
      return access.region === viewer.region;
    case 'organisation':
      return access.odsCode === viewer.odsCode;
    case 'patient':
      return access.patientNhsNumber === viewer.nhsNumber;
  }
}
