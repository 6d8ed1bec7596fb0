import { createHash } from 'node:crypto';

import { AppointmentsError, AppointmentsErrorCode } from '../domain/appointments.errors';
import { isOrganisationType, ORGANISATION_TYPES } from '../domain/organisation';
import { pageToken } from '../domain/page-token';
import { idempotentCreate } from '@trellis/database';
import type { Actor, Clock } from '../domain/ports';
import { ODS_CODE, pageSize, REGION_CODE, Violations } from '../domain/validation';
import type { ScheduleRow, SlotRow } from '../prisma';
import { SchedulingRepository } from './scheduling.repository';

import { type PublishedSlot, SlotPublication, type SlotInput } from './slot-publication';

export {
  MAX_SLOTS_PER_PUBLISH,
  type PublishedSlot,
  type SlotInput,
  slotRequestHash,
} from './slot-publication';
export const MAX_SEARCH_WINDOW_DAYS = 92;

export interface CreateScheduleInput {
  odsCode?: string;
  serviceType: string;
  specialty?: string;
  practitionerId?: string;
  region?: string;
  bookableByOdsCodes?: string[];
  bookableByOrgTypes?: string[];
  name?: string;
  /** Optional; unique per owning organisation (replay returns the first schedule). */
  idempotencyKey?: string;
}

export interface SearchFreeSlotsInput {
  serviceType?: string;
  odsCode?: string;
  region?: string;
  from?: Date;
  to?: Date;
  pageSize?: number;
  pageToken?: string;
}

/** What a schedule creation asked for (replay vs. reuse of an idempotency key). */
export function scheduleRequestHash(data: {
  odsCode: string;
  serviceType: string;
  specialty: string | null;
  practitionerId: string | null;
  region: string;
  bookableByOdsCodes: string[];
  bookableByOrgTypes: string[];
  name: string;
}): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        data.odsCode,
        data.serviceType,
        data.specialty,
        data.practitionerId,
        data.region,
        [...data.bookableByOdsCodes].sort(),
        [...data.bookableByOrgTypes].sort(),
        data.name,
      ]),
    )
    .digest('hex');
}

export class SchedulingService {
  private readonly publication: SlotPublication;

  constructor(
    private readonly repo: SchedulingRepository,
    clock: Clock,
  ) {
    this.publication = new SlotPublication(repo, clock, this);
  }

  async createSchedule(actor: Actor, input: CreateScheduleInput): Promise<ScheduleRow> {
    return (await this.createOrReplaySchedule(actor, input)).schedule;
  }

  /** Creates a schedule; with an idempotency key, a retry answers the first creation (replayed). */
  async createOrReplaySchedule(
    actor: Actor,
    input: CreateScheduleInput,
  ): Promise<{ schedule: ScheduleRow; replayed: boolean }> {
    const v = new Violations();
    if (input.idempotencyKey) v.idempotencyKey('idempotency_key', input.idempotencyKey);
    const odsCode = input.odsCode || actor.odsCode;
    // the providing organisation must exist in the ODS reference data; its region is the data's
    const org = v.organisation('ods_code', odsCode);
    if (v.required('service_type', input.serviceType)) {
      v.code(
        'service_type',
        input.serviceType,
        'service_type must be a code (letters, digits, . _ : | / -)',
      );
    }
    if (input.specialty) v.code('specialty', input.specialty, 'specialty must be a code');
    if (input.practitionerId)
      v.code('practitioner_id', input.practitionerId, 'practitioner_id must be an identifier');
    if (
      input.region &&
      v.pattern(
        'region',
        input.region,
        REGION_CODE,
        'region',
        'region must be a region short code such as "london"',
      )
    )
      v.regionOf('region', org, input.region);
    const region = org?.region ?? '';
    const bookableOds = [...new Set(input.bookableByOdsCodes ?? [])];
    bookableOds.forEach((c, i) =>
      v.pattern(`bookable_by_ods_codes[${i}]`, c, ODS_CODE, 'ods-code', 'must be an ODS code'),
    );
    const bookableTypes = [...new Set(input.bookableByOrgTypes ?? [])];
    bookableTypes.forEach((t, i) => {
      if (!isOrganisationType(t))
        v.add(
          `bookable_by_org_types[${i}]`,
          'org-type',
          `must be one of ${ORGANISATION_TYPES.join(', ')}`,
        );
    });
    if ((input.name ?? '').length > 200)
      v.add('name', 'max-length', 'name must be at most 200 characters');
    v.throwIfAny();
    if (odsCode !== actor.odsCode) {
      throw new AppointmentsError(
        AppointmentsErrorCode.NotScheduleOwner,
        `An organisation can only create its own schedules (caller ${actor.odsCode}, requested ${odsCode})`,
        { callerOdsCode: actor.odsCode, odsCode },
      );
    }
    const data = {
      odsCode,
      serviceType: input.serviceType,
      specialty: input.specialty || null,
      practitionerId: input.practitionerId || null,
      region,
      bookableByOdsCodes: bookableOds,
      bookableByOrgTypes: bookableTypes,
      name: input.name || input.serviceType,
    };
    const key = input.idempotencyKey;
    if (!key) {
      const schedule = await this.repo.createSchedule({
        ...data,
        idempotencyKey: null,
        requestHash: null,
      });
      return { schedule, replayed: false };
    }
    const requestHash = scheduleRequestHash(data);
    const request = idempotentCreate({
      stored: () => this.repo.findScheduleByKey(odsCode, key),
      requestHash,
      reused: (existing) =>
        new AppointmentsError(
          AppointmentsErrorCode.IdempotencyKeyReused,
          `Idempotency key '${key}' was already used by ${odsCode} for a different schedule (${existing.id})`,
          { idempotencyKey: key, scheduleId: existing.id },
        ),
    });
    const earlier = await request.replay();
    if (earlier) return { schedule: earlier, replayed: true };
    const { row: schedule, replayed } = await request.create(() =>
      this.repo.createSchedule({ ...data, idempotencyKey: key, requestHash }),
    );
    return { schedule, replayed };
  }

  async getSchedule(id: string): Promise<ScheduleRow> {
    const v = new Violations();
    v.uuid('schedule_id', id);
    v.throwIfAny();
    const schedule = await this.repo.findSchedule(id);
    if (!schedule)
      throw AppointmentsError.notFound(
        AppointmentsErrorCode.ScheduleNotFound,
        'Schedule',
        'scheduleId',
        id,
      );
    return schedule;
  }

  /** Schedules by owner, service type and practitioner, oldest first (keyset paged). */
  async listSchedules(input: {
    idempotencyKey?: string;
    odsCode?: string;
    serviceType?: string;
    practitionerId?: string;
    pageSize?: number;
    pageToken?: string;
  }): Promise<{ schedules: ScheduleRow[]; nextPageToken: string }> {
    const v = new Violations();
    if (input.odsCode) v.odsCode('ods_code', input.odsCode);
    if (input.serviceType) v.code('service_type', input.serviceType, 'service_type must be a code');
    if (input.practitionerId)
      v.code('practitioner_id', input.practitionerId, 'practitioner_id must be an identifier');
    const take = pageSize(input.pageSize, v, 'page.page_size', 500, 50);
    v.throwIfAny();
    const filter = {
      q: 'schedules',
      odsCode: input.odsCode || undefined,
      serviceType: input.serviceType || undefined,
      practitionerId: input.practitionerId || undefined,
      idempotencyKey: input.idempotencyKey || undefined,
    };
    const cursor = pageToken.decode(input.pageToken, filter, 'page.page_token');
    const rows = await this.repo.listSchedules(
      filter,
      cursor ? { createdAt: new Date(cursor.s), id: cursor.i } : undefined,
      take + 1,
    );
    const page = pageToken.pageBy(rows, take, (last) => [last.createdAt, last.id], filter);
    return { schedules: page.rows, nextPageToken: page.nextPageToken };
  }

  async getSlot(id: string): Promise<SlotRow> {
    const v = new Violations();
    v.uuid('slot_id', id);
    v.throwIfAny();
    const slot = await this.repo.findSlot(id);
    if (!slot)
      throw AppointmentsError.notFound(AppointmentsErrorCode.SlotNotFound, 'Slot', 'slotId', id);
    return slot;
  }

  /** All or nothing: every slot valid, none overlapping another (in the batch or already stored). */
  async publishSlots(
    actor: Actor,
    scheduleId: string,
    slots: readonly SlotInput[],
  ): Promise<SlotRow[]> {
    return (await this.publishOrReplaySlots(actor, scheduleId, slots)).map((p) => p.slot);
  }

  /** See SlotPublication.publishOrReplaySlots. */
  publishOrReplaySlots(
    actor: Actor,
    scheduleId: string,
    slots: readonly SlotInput[],
    opts: { ifNoneExist?: boolean } = {},
  ): Promise<PublishedSlot[]> {
    return this.publication.publishOrReplaySlots(actor, scheduleId, slots, opts);
  }

  async searchFreeSlots(
    input: SearchFreeSlotsInput,
  ): Promise<{ slots: SlotRow[]; nextPageToken: string }> {
    const v = new Violations();
    if (input.serviceType) v.code('service_type', input.serviceType, 'service_type must be a code');
    if (input.odsCode) v.odsCode('ods_code', input.odsCode);
    if (input.region)
      v.pattern(
        'region',
        input.region,
        REGION_CODE,
        'region',
        'region must be a region short code',
      );
    if (!input.serviceType && !input.odsCode && !input.region) {
      v.add(
        'service_type',
        'one-of-required',
        'give at least one of service_type, ods_code, region',
      );
    }
    if (!input.from) v.add('start_from', 'required', 'start_from is required');
    if (!input.to) v.add('start_to', 'required', 'start_to is required');
    if (input.from && input.to) {
      if (input.to <= input.from) v.add('start_to', 'range', 'start_to must be after start_from');
      else if (input.to.getTime() - input.from.getTime() > MAX_SEARCH_WINDOW_DAYS * 86_400_000) {
        v.add('start_to', 'max-window', `the window is at most ${MAX_SEARCH_WINDOW_DAYS} days`);
      }
    }
    const take = pageSize(input.pageSize, v, 'page.page_size', 500, 50);
    v.throwIfAny();
    const filter = {
      serviceType: input.serviceType || undefined,
      odsCode: input.odsCode || undefined,
      region: input.region || undefined,
      from: input.from!,
      to: input.to!,
    };
    const tokenFilter = { ...filter, from: filter.from.toISOString(), to: filter.to.toISOString() };
    const cursor = pageToken.decode(input.pageToken, tokenFilter, 'page.page_token');
    const rows = await this.repo.searchFree(
      filter,
      cursor ? { start: new Date(cursor.s), id: cursor.i } : undefined,
      take + 1,
    );
    const page = pageToken.pageBy(rows, take, (last) => [last.startAt, last.id], tokenFilter);
    return { slots: page.rows, nextPageToken: page.nextPageToken };
  }
}
