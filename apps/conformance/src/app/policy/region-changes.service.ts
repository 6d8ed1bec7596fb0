import { Inject, Injectable, Optional } from '@nestjs/common';
import { AUTH_STATUS_REGISTRY, type Caller, type SystemStatusRegistry } from '@trellis/auth';
import { type FieldViolation } from '@trellis/service-kit';

import { ScorecardError, ScorecardErrorCode } from '../scorecards/scorecards.errors';
import { mayList } from '../scorecards/system-scorecards.service';
import { ComplianceRepository, type StoredChange } from './compliance.repository';

const REGION = /^[a-z]{2,20}(?:-[a-z]{2,20}){0,3}$/;
const KEY = /^[A-Za-z0-9@._+-]{1,128}#\d{10}$/;

export interface RegionChangesQuery {
  region: string;
  pageSize: number;
  before: Date | undefined;
  beforeKey: string;
}

export interface RegionChange extends StoredChange {
  productVersionId: string;
  key: string;
  systemIds: string[];
}

/** Every problem of a region's change-log request at once (pure; the unit spec's subject). */
export function validateRegionChanges(q: RegionChangesQuery): FieldViolation[] {
  const v: FieldViolation[] = [];
  if (!REGION.test(q.region))
    v.push({ field: 'region', rule: 'required', message: 'a region code, e.g. north-east' });
  if (!Number.isInteger(q.pageSize) || q.pageSize < 0 || q.pageSize > 200)
    v.push({ field: 'page_size', rule: 'range', message: '1 to 200' });
  if (q.before && Number.isNaN(q.before.getTime()))
    v.push({ field: 'before', rule: 'format', message: 'a timestamp' });
  if (q.beforeKey !== '' && !KEY.test(q.beforeKey))
    v.push({ field: 'before_key', rule: 'format', message: 'a key of an earlier answer' });
  if (q.beforeKey !== '' && !q.before)
    v.push({ field: 'before', rule: 'required', message: 'required with before_key' });
  return v;
}

/**
 * The compliance history a regional authority sees (issue 20): the change log of every product
 * version its region's systems deploy (the suspension feed names each system's region and
 * version), newest first, paged by an (at, key) cursor the caller may merge with other logs.
 */
@Injectable()
export class RegionChangesService {
  constructor(
    private readonly repo: ComplianceRepository,
    @Optional() @Inject(AUTH_STATUS_REGISTRY) private readonly systems?: SystemStatusRegistry,
  ) {}

  async list(q: RegionChangesQuery, caller: Caller): Promise<RegionChange[]> {
    const violations = validateRegionChanges(q);
    if (violations.length > 0)
      throw new ScorecardError(
        ScorecardErrorCode.InvalidArgument,
        'invalid region compliance changes request',
        violations,
      );
    mayList(caller, q.region);
    const users = new Map<string, string[]>();
    for (const s of this.systems?.known(q.region) ?? [])
      if (s.productVersionId)
        users.set(s.productVersionId, [...(users.get(s.productVersionId) ?? []), s.systemId]);
    const rows = await this.repo.changesOf(
      [...users.keys()],
      q.before ? { at: q.before, key: q.beforeKey } : undefined,
      q.pageSize || 50,
    );
    return rows.map((r) => ({ ...r, systemIds: users.get(r.productVersionId) ?? [] }));
  }
}
