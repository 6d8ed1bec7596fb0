import { regionOfOrganisation } from '@trellis/service-kit';

import { pageToken } from '../domain/page-token';
import type { Actor } from '../domain/ports';
import { toDbStatus } from '../domain/referral-state';
import { ReferralsError, ReferralsErrorCode } from '../domain/referrals.errors';
import { pageSize, REGION_CODE, Violations } from '../domain/validation';
import type { TransitionRow } from '../prisma';
import type { ReferralWithAttachments, WorklistQuery } from './referrals.repository';
import {
  dbPriority,
  involved,
  type ListQuery,
  notFound,
  notOwnWaitingList,
  type Page,
  type ReferralSupport,
  type ReferralVersionView,
  toVersionView,
} from './referrals.support';
import {
  assertRegionalReader,
  emptyRow,
  sumRows,
  toWaitingList,
  type WaitingList,
} from './waiting-lists';

/** Reading referrals: one (its timeline and versions), the worklists and the waiting lists. */
export class ReferralQueries {
  constructor(private readonly s: ReferralSupport) {}

  async get(actor: Actor, id: string): Promise<ReferralWithAttachments> {
    this.s.checkId(id);
    const r = await this.s.repo.find(id);
    // a citizen (patient token) reads their own referrals; an organisation those it is party to
    const visible = actor.patient
      ? r?.nhsNumber === actor.patient
      : r && involved(r, actor.odsCode);
    if (!r || !visible) throw notFound(id);
    return r;
  }

  /** One attachment with its content; visible exactly when its referral is (as get). */
  async attachment(
    actor: Actor,
    id: string,
  ): Promise<{
    id: string;
    referralId: string;
    nhsNumber: string;
    contentType: string;
    title: string;
    size: number;
    sha256: string;
    data: Uint8Array;
  }> {
    const v = new Violations();
    v.uuid('attachment_id', id);
    v.throwIfAny();
    const a = await this.s.repo.findAttachment(id);
    const visible = actor.patient
      ? a?.referral.nhsNumber === actor.patient
      : a && involved(a.referral, actor.odsCode);
    if (!a || !visible)
      throw ReferralsError.notFound(
        ReferralsErrorCode.AttachmentNotFound,
        'Attachment',
        'attachmentId',
        id,
      );
    return {
      id: a.id,
      referralId: a.referralId,
      nhsNumber: a.referral.nhsNumber,
      contentType: a.contentType,
      title: a.title,
      size: a.size,
      sha256: a.sha256,
      data: a.data,
    };
  }

  async timeline(
    actor: Actor,
    id: string,
  ): Promise<{ referral: ReferralWithAttachments; entries: TransitionRow[] }> {
    const referral = await this.get(actor, id);
    return { referral, entries: await this.s.repo.timeline(id) };
  }

  /** One stored version; only the two organisations see it (as GetReferral). */
  async getVersion(actor: Actor, id: string, version: number): Promise<ReferralVersionView> {
    const current = await this.get(actor, id);
    const row =
      Number.isInteger(version) && version >= 1 ? await this.s.repo.findVersion(id, version) : null;
    if (!row) {
      throw new ReferralsError(
        ReferralsErrorCode.VersionNotFound,
        `Referral ${id} has no version ${version} (current ${current.version})`,
        { referralId: id, currentVersion: String(current.version) },
      );
    }
    return toVersionView(row, current);
  }

  /** Stored versions, newest first, keyset-paged; only the two organisations see them. */
  async listVersions(
    actor: Actor,
    id: string,
    q: { pageSize?: number; pageToken?: string },
  ): Promise<{ versions: ReferralVersionView[]; nextPageToken: string; total: number }> {
    const current = await this.get(actor, id);
    const v = new Violations();
    const take = pageSize(q.pageSize, v, 'page.page_size', 200, 50);
    v.throwIfAny();
    const filter = { q: 'versions', id };
    const cursor = pageToken.decode(q.pageToken, filter, 'page.page_token');
    const rows = await this.s.repo.listVersions(id, {
      ...(cursor ? { before: Number(cursor.i) } : {}),
      take: take + 1,
    });
    const page = pageToken.pageBy(rows, take, (last) => [last.recordedAt, last.version], filter);
    return {
      versions: page.rows.map((r) => toVersionView(r, current)),
      nextPageToken: page.nextPageToken,
      total: await this.s.repo.countVersions(id),
    };
  }

  listIncoming(actor: Actor, q: ListQuery): Promise<Page> {
    return this.list(actor, 'target', q);
  }

  listSent(actor: Actor, q: ListQuery): Promise<Page> {
    return this.list(actor, 'referrer', q);
  }

  /** One patient's referrals the caller's organisation is party to; a citizen, all of their own. */
  listForPatient(actor: Actor, q: Omit<ListQuery, 'priorities'>): Promise<Page> {
    const v = new Violations();
    v.required('nhs_number', q.nhsNumber);
    v.throwIfAny();
    if (actor.patient && actor.patient !== q.nhsNumber)
      throw new ReferralsError(ReferralsErrorCode.NotInvolved, "Only the patient's own referrals");
    return this.list(actor, actor.patient ? 'patient' : 'either', { ...q, priorities: [] });
  }

  private async list(actor: Actor, side: WorklistQuery['side'], q: ListQuery): Promise<Page> {
    const v = new Violations();
    const take = pageSize(q.pageSize, v, 'page.page_size', 200, 50);
    const nhsNumber = q.nhsNumber ? v.nhsNumber('nhs_number', q.nhsNumber) : undefined;
    v.throwIfAny();
    const statuses = [...new Set(q.statuses)].sort();
    const priorities = [...new Set(q.priorities)].sort();
    // a token is bound to its filters: replayed with another patient it is refused
    const filter = {
      q: side,
      org: actor.odsCode,
      statuses,
      priorities,
      ...(nhsNumber ? { nhs: nhsNumber } : {}),
    };
    const cursor = pageToken.decode(q.pageToken, filter, 'page.page_token');
    const query = {
      side,
      odsCode: actor.odsCode,
      statuses: statuses.map(toDbStatus),
      priorities: priorities.map(dbPriority),
      ...(nhsNumber ? { nhsNumber } : {}),
    };
    const [rows, total] = await Promise.all([
      this.s.repo.worklist({
        ...query,
        after: cursor ? { sentAt: new Date(cursor.s), id: cursor.i } : undefined,
        take: take + 1,
      }),
      this.s.repo.countWorklist(query),
    ]);
    const page = pageToken.pageBy(rows, take, (last) => [last.sentAt, last.id], filter);
    return {
      referrals: page.rows,
      nextPageToken: page.nextPageToken,
      total,
    };
  }

  async providerWaitingList(
    actor: Actor,
    odsCode: string | undefined,
  ): Promise<{ list: WaitingList; bySpecialty: WaitingList[]; asOf: Date }> {
    const ods = odsCode || actor.odsCode;
    const v = new Violations();
    v.odsCode('ods_code', ods);
    v.throwIfAny();
    if (ods !== actor.odsCode) throw notOwnWaitingList('ods_code', ods, actor.odsCode);
    const asOf = this.s.clock.now();
    const [rows, bySpecialty] = await Promise.all([
      this.s.repo.waitingList({ odsCode: ods }, asOf),
      this.s.repo.waitingList({ odsCode: ods }, asOf, true),
    ]);
    return {
      list: toWaitingList(rows[0] ?? emptyRow(ods, '')),
      bySpecialty: bySpecialty.map(toWaitingList),
      asOf,
    };
  }

  /** A region's lists by provider and by provider × specialty (its authority or national only). */
  async regionalWaitingLists(
    caller: Actor & { scopes: readonly string[] },
    region: string,
  ): Promise<{
    total: WaitingList;
    providers: WaitingList[];
    providerSpecialties: WaitingList[];
    asOf: Date;
  }> {
    const v = new Violations();
    if (v.required('region', region))
      v.pattern(
        'region',
        region,
        REGION_CODE,
        'region',
        'region must be a region code such as north-east',
      );
    v.throwIfAny();
    assertRegionalReader(caller, region);
    const asOf = this.s.clock.now();
    const [providers, specialties] = await Promise.all([
      this.s.repo.waitingList({ region }, asOf),
      this.s.repo.waitingList({ region }, asOf, true),
    ]);
    return {
      total: toWaitingList(sumRows(providers, '', region)),
      providers: providers.map(toWaitingList),
      providerSpecialties: specialties.map(toWaitingList),
      asOf,
    };
  }

  /** The caller's own region only (regional authorities get their own access later). */
  async regionWaitingList(
    actor: Actor,
    region: string,
  ): Promise<{ total: WaitingList; providers: WaitingList[]; asOf: Date }> {
    const v = new Violations();
    if (v.required('region', region))
      v.pattern(
        'region',
        region,
        REGION_CODE,
        'region',
        'region must be a region code such as north-east',
      );
    v.throwIfAny();
    const own = regionOfOrganisation(actor.odsCode) ?? actor.region;
    if (region !== own) throw notOwnWaitingList('region', region, own);
    const asOf = this.s.clock.now();
    const rows = await this.s.repo.waitingList({ region }, asOf);
    const total = sumRows(rows, '', region);
    return { total: toWaitingList(total), providers: rows.map(toWaitingList), asOf };
  }
}
