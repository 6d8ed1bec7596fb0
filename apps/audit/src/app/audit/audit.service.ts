import { randomUUID } from 'node:crypto';

import { events, toTimestamp } from '@trellis/contracts';
import { regionTopicName, TOPICS, type Outbox } from '@trellis/events';
import { isValidNhsNumber } from '@trellis/nhs-number';
import type { FieldViolation } from '@trellis/service-kit';

import { accessFlaggedForRegion, AccessFlagged } from '../../events/audit-event-types';
import { AuditError, AuditErrorCode } from '../audit.errors';
import { ACTIONS, OUTCOMES } from '../store/access-row';
import type {
  AccessEventsRepository,
  AccessFilter,
  StoredAccess,
} from '../store/access-events.repository';
import { pageToken } from './page-token';
import { canSee, type Viewer } from './viewer';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
/** Totals are counted up to this many matches (beyond it the count would cost more than the page). */
export const TOTAL_CAP = 10_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ODS = /^[A-Z0-9]{3,10}$/;
const REGION = /^[a-z][a-z0-9-]*$/;

export interface SearchInput extends AccessFilter {
  pageSize: number;
  pageToken: string;
}

export interface SearchResult {
  events: StoredAccess[];
  nextPageToken: string;
  total?: number;
}

export interface FlagInput {
  auditId: string;
  reason: string;
  gpOdsCode: string;
  gpRegion: string;
}

export interface FlagTopics {
  flag: string;
  region: (region: string) => string;
}

export const DEFAULT_FLAG_TOPICS: FlagTopics = {
  flag: TOPICS.auditFlag.name,
  region: regionTopicName,
};

export interface FlagResult {
  flagId: string;
  event: StoredAccess;
  flaggedAt: Date;
  replayed: boolean;
}

/** Reads of the audit store and the citizen's flag; who sees what is decided here. */
export class AuditService {
  constructor(
    private readonly repository: AccessEventsRepository,
    private readonly outbox: Outbox,
    /** Where flags go (config AUDIT_FLAG_TOPIC, AUDIT_REGION_TOPIC_TEMPLATE). */
    private readonly topics: FlagTopics = DEFAULT_FLAG_TOPICS,
  ) {}

  async search(viewer: Viewer, input: SearchInput): Promise<SearchResult> {
    const violations = filterViolations(input);
    if (input.pageSize < 0 || input.pageSize > MAX_PAGE_SIZE)
      violations.push({
        field: 'page.page_size',
        rule: 'range',
        message: `page_size must be 0..${MAX_PAGE_SIZE}`,
      });
    if (violations.length) throw AuditError.invalid(violations);
    const filter = scopedFilter(viewer, input);
    const limit = input.pageSize || DEFAULT_PAGE_SIZE;
    const after = pageToken.decode(input.pageToken, filter);
    // the page and its total from one statement (one snapshot: they agree)
    const { rows, total } = await this.repository.page(filter, limit + 1, after, TOTAL_CAP);
    const page = pageToken.page(
      rows,
      limit,
      (last) => ({ recordedAt: last.recordedAt, auditId: last.auditId }),
      filter,
    );
    return {
      events: page.rows,
      nextPageToken: page.nextPageToken,
      ...(total !== undefined ? { total } : {}),
    };
  }

  async get(viewer: Viewer, auditId: string): Promise<StoredAccess> {
    const notFound = () =>
      new AuditError(AuditErrorCode.AccessEventNotFound, `access event ${auditId} not found`);
    if (!UUID.test(auditId)) throw notFound();
    const access = await this.repository.get(auditId.toLowerCase());
    if (!access || !canSee(viewer, access)) throw notFound();
    return access;
  }

  /**
   * A citizen flags an access to their own record. The flag row and both events (the
   * organisation's DPO topic and the regional stream of the patient's GP) commit together.
   */
  async flag(viewer: Viewer, flaggedBy: string, input: FlagInput): Promise<FlagResult> {
    if (viewer.kind !== 'patient')
      throw new AuditError(AuditErrorCode.NotYourAudit, 'only the patient can flag an access');
    const violations: FieldViolation[] = [];
    const reason = input.reason.trim();
    if (reason.length < 1 || reason.length > 1000)
      violations.push({
        field: 'reason',
        rule: 'length',
        message: 'reason must be 1–1000 characters',
      });
    // a patient without a registered GP has no regional authority to tell (the DPO still is)
    if (input.gpOdsCode && !ODS.test(input.gpOdsCode))
      violations.push({ field: 'gp_ods_code', rule: 'ods-code', message: 'expected an ODS code' });
    if (input.gpRegion && !REGION.test(input.gpRegion))
      violations.push({ field: 'gp_region', rule: 'region', message: 'expected a region code' });
    if (violations.length) throw AuditError.invalid(violations);
    const access = await this.get(viewer, input.auditId);
    return this.repository.inTransaction(async (repo, tx) => {
      const stored = await repo.insertFlag({
        id: randomUUID(),
        auditId: access.auditId,
        patientNhsNumber: access.patientNhsNumber,
        odsCode: access.odsCode,
        gpOdsCode: input.gpOdsCode,
        gpRegion: input.gpRegion,
        reason,
        flaggedBy,
      });
      if (stored.created) {
        const message = flaggedMessage(access, stored, input, reason);
        const regions = [...new Set([input.gpRegion, access.region].filter(Boolean))];
        const meta = {
          key: access.patientNhsNumber,
          subject: access.auditId,
          odsCode: access.odsCode,
          region: access.region || input.gpRegion,
          regions,
          correlationId: access.traceId || stored.id,
        };
        await this.outbox.enqueueMany(tx, [
          { ...AccessFlagged.occurrence(message, meta), topic: this.topics.flag },
          ...(input.gpRegion
            ? [
                {
                  ...accessFlaggedForRegion(input.gpRegion).occurrence(message, {
                    ...meta,
                    odsCode: input.gpOdsCode,
                    region: input.gpRegion,
                  }),
                  topic: this.topics.region(input.gpRegion),
                },
              ]
            : []),
        ]);
      }
      return {
        flagId: stored.id,
        event: { ...access, flaggedAt: stored.flaggedAt },
        flaggedAt: stored.flaggedAt,
        replayed: !stored.created,
      };
    });
  }
}

function flaggedMessage(
  access: StoredAccess,
  stored: { id: string; flaggedAt: Date },
  input: FlagInput,
  reason: string,
): events.v1.AccessFlagged {
  return events.v1.AccessFlagged.fromPartial({
    context: {
      organisations: [
        { odsCode: access.odsCode, region: access.region },
        { odsCode: input.gpOdsCode, region: input.gpRegion },
      ].filter((o) => o.odsCode),
      regions: [...new Set([access.region, input.gpRegion].filter(Boolean))],
      occurredAt: toTimestamp(stored.flaggedAt),
      correlationId: access.traceId,
    },
    flagId: stored.id,
    auditId: access.auditId,
    accessedAt: toTimestamp(access.recordedAt),
    action: access.action,
    interaction: access.interaction,
    resourceType: access.resourceType,
    resourceId: access.resourceId,
    systemId: access.systemId,
    odsCode: access.odsCode,
    region: access.region,
    userId: access.userId,
    patientNhsNumber: access.patientNhsNumber,
    gpOdsCode: input.gpOdsCode,
    gpRegion: input.gpRegion,
    reason,
    flaggedAt: toTimestamp(stored.flaggedAt),
    traceId: access.traceId,
  });
}

function filterViolations(f: AccessFilter): FieldViolation[] {
  const v: FieldViolation[] = [];
  if (f.patientNhsNumber && !isValidNhsNumber(f.patientNhsNumber))
    v.push({ field: 'patient_nhs_number', rule: 'nhs-number', message: 'not a valid NHS number' });
  if (f.odsCode && !ODS.test(f.odsCode))
    v.push({ field: 'ods_code', rule: 'ods-code', message: 'expected an ODS code' });
  if (f.action && !(ACTIONS as readonly string[]).includes(f.action))
    v.push({ field: 'action', rule: 'code', message: 'action must be one of C, R, U, D, E' });
  if (f.outcome && !(OUTCOMES as readonly string[]).includes(f.outcome))
    v.push({ field: 'outcome', rule: 'code', message: 'outcome must be one of 0, 4, 8, 12' });
  if (f.from && f.to && f.from >= f.to)
    v.push({ field: 'to', rule: 'range', message: 'to must be after from' });
  return v;
}

/** The filter narrowed to what the viewer may see; a filter reaching beyond it is refused. */
function scopedFilter(viewer: Viewer, input: SearchInput): AccessFilter {
  const filter: AccessFilter = {
    ...(input.patientNhsNumber ? { patientNhsNumber: input.patientNhsNumber } : {}),
    ...(input.from ? { from: input.from } : {}),
    ...(input.to ? { to: input.to } : {}),
    ...(input.odsCode ? { odsCode: input.odsCode } : {}),
    ...(input.systemId ? { systemId: input.systemId } : {}),
    ...(input.action ? { action: input.action } : {}),
    ...(input.outcome ? { outcome: input.outcome } : {}),
    ...(input.excludePatientOwn ? { excludePatientOwn: true } : {}),
  };
  switch (viewer.kind) {
    case 'operator':
      return filter;
    case 'region':
      return { ...filter, region: viewer.region };
    case 'organisation':
      if (filter.odsCode && filter.odsCode !== viewer.odsCode)
        throw new AuditError(
          AuditErrorCode.NotYourAudit,
          "a system reads only its own organisation's audit",
        );
      return { ...filter, odsCode: viewer.odsCode };
    case 'patient':
      if (filter.patientNhsNumber !== viewer.nhsNumber)
        throw new AuditError(AuditErrorCode.NotYourAudit, 'a citizen reads only their own record');
      return filter;
  }
}
