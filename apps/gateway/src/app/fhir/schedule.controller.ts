import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { Bundle, Schedule, Slot } from '@medplum/fhirtypes';
import { appointments, toTimestamp } from '@trellis/contracts';
import { callerOf } from '@trellis/auth';
import {
  FhirError,
  GMC_SYSTEM,
  ODS_ORGANISATION_SYSTEM,
  publishSlotFromFhir,
  SCHEDULE_REQUEST_ID_SYSTEM,
  scheduleFromFhir,
  scheduleToFhir,
  SDS_USER_SYSTEM,
  SLOT_REQUEST_ID_SYSTEM,
  slotRequestKey,
  slotToFhir,
} from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import {
  conditionQuery,
  dateWindow,
  searchOf,
  type FhirSearchParam,
  type SearchQuery,
} from './fhir.search';
import { parseQueryString, versionHeaders } from './fhir.support';
import { PlatformFhirController } from './platform-fhir.controller';

/** CreateSchedule / ListSchedules field → FHIRPath (or search parameter). */
const SCHEDULE_FIELDS: Record<string, string> = {
  ods_code: 'Schedule.actor[0].identifier.value',
  service_type: 'Schedule.serviceType[0]',
  specialty: 'Schedule.specialty[0]',
  practitioner_id: 'Schedule.actor',
  region: 'Schedule.actor[0].extension',
  name: 'Schedule.comment',
  idempotency_key: 'Schedule.identifier',
  'page.page_token': '_page_token',
  'page.page_size': '_count',
};

/** PublishSlots field (one slot: slots[0].*) → FHIRPath. */
function slotField(field: string): string | undefined {
  if (field === 'schedule_id') return 'Slot.schedule';
  if (/^slots\[\d+\]\.idempotency_key$/.test(field)) return 'Slot.identifier';
  const m = /^slots\[\d+\](?:\.(start|end|status))?$/.exec(field);
  return m ? (m[1] ? `Slot.${m[1]}` : 'Slot') : undefined;
}

/**
 * A Slot create's If-None-Exist: only `identifier=<slot-request system>|<key>` naming the body's own
 * slot-request identifier (the platform finds a slot by that key, within the caller's organisation).
 */
function slotCondition(condition: string, body: Slot): void {
  const params = parseQueryString(condition);
  const identifier = params.get('identifier');
  const key = slotRequestKey(body);
  const refuse = (message: string) =>
    FhirError.of(400, 'invalid', 'conditional-create.slot-identifier', message, 'If-None-Exist');
  if ([...params.keys()].some((k) => k !== 'identifier') || identifier?.length !== 1)
    throw refuse(`If-None-Exist for Slot is identifier=${SLOT_REQUEST_ID_SYSTEM}|<request id>`);
  const [system, value] = identifier[0]!.split('|', 2);
  if (system !== SLOT_REQUEST_ID_SYSTEM || !value)
    throw refuse(`If-None-Exist for Slot is identifier=${SLOT_REQUEST_ID_SYSTEM}|<request id>`);
  if (value !== key)
    throw refuse(
      `If-None-Exist must name the Slot's own ${SLOT_REQUEST_ID_SYSTEM} identifier (${key ?? 'none given'})`,
    );
}

/** SearchFreeSlots field → search parameter. */
const SLOT_SEARCH_FIELDS: Record<string, string> = {
  service_type: 'service-type',
  ods_code: 'organization',
  start_from: 'start',
  start_to: 'start',
  'page.page_token': '_page_token',
  'page.page_size': '_count',
};

/** `Organization/RR8`, `<ods system>|RR8` or `RR8` → RR8; `system|value` of another system → undefined. */
function odsToken(raw: string): string | undefined {
  if (raw.startsWith('Organization/')) return raw.slice('Organization/'.length);
  const [system, value] = raw.includes('|') ? raw.split('|', 2) : ['', raw];
  if ((system && system !== ODS_ORGANISATION_SYSTEM) || value?.includes('/')) return undefined;
  return value;
}

/** ListSchedules filter of a Schedule search (also an If-None-Exist query). */
type ScheduleFilter = Pick<
  appointments.v1.ListSchedulesRequest,
  'odsCode' | 'serviceType' | 'practitionerId' | 'idempotencyKey'
>;

/** The Schedule search table (also the If-None-Exist criteria of a Schedule create). */
const SCHEDULE_SEARCH_PARAMS: readonly FhirSearchParam[] = [
  {
    name: 'actor',
    type: 'reference',
    and: true,
    documentation:
      'Organization/<ODS code> or Practitioner identifier (<SDS user id or GMC system>|<id>)',
  },
  {
    name: 'organization',
    type: 'token',
    and: true,
    documentation: 'ODS code of the owning organisation (Trellis shorthand for actor)',
  },
  { name: 'service-type', type: 'token', and: true, documentation: 'Service type code' },
  {
    name: 'identifier',
    type: 'token',
    and: true,
    documentation: `${SCHEDULE_REQUEST_ID_SYSTEM}|<request id>`,
  },
];

/** The one value all occurrences allow; null when they differ (nothing matches), '' when absent. */
function agreed(values: readonly string[]): string | null {
  const distinct = new Set(values);
  return distinct.size > 1 ? null : ([...distinct][0] ?? '');
}

/**
 * actor / organization / service-type / identifier → ListSchedules filter, every occurrence ANDed
 * (organization and an Organization actor name the same owner); null when they cannot all hold.
 */
function scheduleFilter(search: SearchQuery): ScheduleFilter | null {
  const orgs: string[] = [];
  const practitioners: string[] = [];
  const badOrganisation = (expression: string) =>
    FhirError.of(
      400,
      'invalid',
      `search.${expression}`,
      `${expression} must be Organization/<ODS code>, <ODS system>|<code> or <code>`,
      expression,
    );
  for (const raw of search.values('organization')) {
    const ods = odsToken(raw);
    if (!ods) throw badOrganisation('organization');
    orgs.push(ods);
  }
  for (const raw of search.values('actor')) {
    const [system, value] = raw.includes('|') ? raw.split('|', 2) : ['', raw];
    if (system === SDS_USER_SYSTEM || system === GMC_SYSTEM || raw.startsWith('Practitioner/'))
      practitioners.push(raw.startsWith('Practitioner/') ? raw.slice(13) : (value ?? ''));
    else if (odsToken(raw)) orgs.push(odsToken(raw)!);
    else
      throw FhirError.of(
        400,
        'invalid',
        'search.actor',
        'actor must be Organization/<ODS code>, <ODS system>|<code>, or a practitioner <SDS|GMC system>|<id>',
        'actor',
      );
  }
  const keys = search.values('identifier').map((identifier) => {
    const [system, value] = identifier.split('|', 2);
    if (system !== SCHEDULE_REQUEST_ID_SYSTEM || !value)
      throw FhirError.of(
        400,
        'invalid',
        'search.identifier',
        `identifier must be ${SCHEDULE_REQUEST_ID_SYSTEM}|<request id>`,
        'identifier',
      );
    return value;
  });
  const filter = {
    odsCode: agreed(orgs.map((o) => o.toUpperCase())),
    serviceType: agreed(search.values('service-type').map((v) => v.split('|').pop() ?? '')),
    practitionerId: agreed(practitioners),
    idempotencyKey: agreed(keys),
  };
  return Object.values(filter).includes(null) ? null : (filter as ScheduleFilter);
}

const SCHEDULE_FILTER_FIELDS: Record<string, string> = {
  ods_code: 'organization',
  service_type: 'service-type',
  practitioner_id: 'actor',
  idempotency_key: 'identifier',
  'page.page_token': '_page_token',
  'page.page_size': '_count',
};

/** Schedule and Slot: the organisations' bookable services and their slots. */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ScheduleFhirController extends PlatformFhirController {
  @FhirRoute({
    method: 'POST',
    path: 'Schedule',
    resource: 'Schedule',
    platform: 'appointments',
    interaction: 'create',
    scope: 'system/Schedule.c',
    conditionalCreate: true,
    summary:
      "Create a schedule for the caller's organisation (the Organization actor must be the caller's ODS code); identifier https://fhir.trellis.nhs.uk/Id/schedule-request = idempotency key (replay → 200); If-None-Exist within the caller's organisation",
  })
  async createSchedule(@Req() req: Request, @Res() res: Response): Promise<Schedule> {
    const body = await this.validated<Schedule>(req, 'Schedule', 'create', { mode: 'create' });
    const ifNoneExist = req.headers['if-none-exist'];
    const condition = Array.isArray(ifNoneExist) ? ifNoneExist[0] : ifNoneExist;
    if (condition) {
      // a conditional create is a search, within the caller's organisation (whose schedule it is)
      const filter = scheduleFilter(conditionQuery(condition, SCHEDULE_SEARCH_PARAMS));
      if (filter && !filter.odsCode) filter.odsCode = callerOf(req)?.odsCode ?? '';
      const found = filter ? await this.listSchedules(req, filter, 2, '') : { schedules: [] };
      if (found.schedules.length > 1) {
        throw FhirError.of(
          412,
          'duplicate',
          'conditional-create.multiple-matches',
          `If-None-Exist matched ${found.schedules.length} or more schedules`,
        );
      }
      if (found.schedules.length === 1) {
        const existing = scheduleToFhir(found.schedules[0]!);
        return sendFhir(res, 200, existing, {
          ...versionHeaders(existing),
          'Content-Location': `${this.base}/Schedule/${existing.id}`,
        });
      }
    }
    const r = await this.call(
      this.platforms.schedules.createSchedule,
      scheduleFromFhir(body),
      forwardContext(req),
      'Schedule',
      (f) => SCHEDULE_FIELDS[f.replace(/\[\d+\]$/, '')],
    );
    const s = scheduleToFhir(r.schedule!);
    return sendFhir(res, r.replayed ? 200 : 201, s, {
      ...versionHeaders(s),
      Location: `${this.base}/Schedule/${s.id}`,
    });
  }

  @FhirRoute({
    method: 'GET',
    path: 'Schedule/:id',
    resource: 'Schedule',
    platform: 'appointments',
    interaction: 'read',
    scope: 'system/Schedule.r',
    summary: 'Read a schedule (an organisation service offering bookable slots)',
  })
  async readSchedule(@Req() req: Request, @Res() res: Response): Promise<Schedule> {
    const r = await this.call(
      this.platforms.schedules.getSchedule,
      { scheduleId: String(req.params['id']) },
      forwardContext(req),
      'Schedule',
    );
    const s = scheduleToFhir(r.schedule!);
    return sendFhir(res, 200, s, versionHeaders(s));
  }

  @FhirRoute({
    method: 'GET',
    path: 'Schedule',
    resource: 'Schedule',
    platform: 'appointments',
    interaction: 'search-type',
    scope: 'system/Schedule.s',
    searchParams: SCHEDULE_SEARCH_PARAMS,
    summary: 'Schedules by organisation, practitioner and service type, oldest first (paged)',
  })
  async searchSchedules(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const filter = scheduleFilter(searchOf(req));
    if (!filter) return this.noMatch(req, res);
    return this.pagedSearch(req, res, async (page) => {
      const r = await this.listSchedules(req, filter, page.pageSize, page.pageToken);
      return {
        resources: r.schedules.map(scheduleToFhir),
        nextPageToken: r.page?.nextPageToken,
        total: r.page?.total,
      };
    });
  }

  private listSchedules(
    req: Request,
    filter: ScheduleFilter,
    count: number,
    pageToken: string,
  ): Promise<appointments.v1.ListSchedulesResponse> {
    return this.call(
      this.platforms.schedules.listSchedules,
      { ...filter, page: { pageSize: Math.max(count, 1), pageToken } },
      forwardContext(req),
      'Schedule',
      (f) => SCHEDULE_FILTER_FIELDS[f],
    );
  }

  @FhirRoute({
    method: 'POST',
    path: 'Slot',
    resource: 'Slot',
    platform: 'appointments',
    interaction: 'create',
    scope: 'system/Slot.c',
    conditionalCreate: true,
    summary:
      "Publish one slot on one of the caller's schedules (free or busy-unavailable; an overlapping slot is refused with 409); identifier https://fhir.trellis.nhs.uk/Id/slot-request = idempotency key (replay → 200, other content → 409); If-None-Exist: identifier=<that system>|<the body's key> (200 existing / 201 new)",
  })
  async createSlot(@Req() req: Request, @Res() res: Response): Promise<Slot> {
    const body = await this.validated<Slot>(req, 'Slot', 'create', { mode: 'create' });
    const ifNoneExist = req.headers['if-none-exist'];
    const condition = Array.isArray(ifNoneExist) ? ifNoneExist[0] : ifNoneExist;
    if (condition) slotCondition(condition, body);
    const r = await this.call(
      this.platforms.schedules.publishSlots,
      publishSlotFromFhir(body, { ifNoneExist: Boolean(condition) }),
      forwardContext(req),
      'Slot',
      slotField,
    );
    const s = slotToFhir(r.slots[0]!);
    const replayed = r.replayed?.[0] ?? false;
    return sendFhir(res, replayed ? 200 : 201, s, {
      ...versionHeaders(s),
      Location: `${this.base}/Slot/${s.id}`,
    });
  }

  @FhirRoute({
    method: 'GET',
    path: 'Slot/:id',
    resource: 'Slot',
    platform: 'appointments',
    interaction: 'read',
    scope: 'system/Slot.r',
    summary: 'Read a slot (any status)',
  })
  async readSlot(@Req() req: Request, @Res() res: Response): Promise<Slot> {
    const r = await this.call(
      this.platforms.schedules.getSlot,
      { slotId: String(req.params['id']) },
      forwardContext(req),
      'Slot',
    );
    const s = slotToFhir(r.slot!);
    return sendFhir(res, 200, s, versionHeaders(s));
  }

  @FhirRoute({
    method: 'GET',
    path: 'Slot',
    resource: 'Slot',
    platform: 'appointments',
    interaction: 'search-type',
    scope: 'system/Slot.s',
    searchParams: [
      {
        name: 'start',
        type: 'date',
        and: true,
        documentation:
          'ge/gt/le/lt<instant> (repetitions ANDed; a window of at most 92 days; default the next 14 days)',
      },
      { name: 'service-type', type: 'token', and: true, documentation: 'Service type code' },
      {
        name: 'organization',
        type: 'token',
        and: true,
        documentation: 'ODS code of the providing organisation',
      },
    ],
    summary: 'Free slots, soonest first (paged)',
  })
  async searchSlots(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const search = searchOf(req);
    const window = dateWindow(search.values('start'), 'start');
    const from = window.from ?? new Date();
    const to = window.to ?? new Date(from.getTime() + 14 * 86_400_000);
    const orgs = search.values('organization').map((raw) => {
      const ods = odsToken(raw);
      if (!ods)
        throw FhirError.of(
          400,
          'invalid',
          'search.organization',
          'organization must be Organization/<ODS code>, <ODS system>|<code> or <code>',
          'organization',
        );
      return ods.toUpperCase();
    });
    const odsCode = agreed(orgs);
    const serviceType = agreed(search.values('service-type').map((v) => v.split('|').pop() ?? ''));
    if (window.empty || from >= to || odsCode === null || serviceType === null)
      return this.noMatch(req, res);
    // the default window is relative to "now": the next page must ask for the same window
    const defaults = [
      ...(window.from ? [] : [`ge${from.toISOString()}`]),
      ...(window.to ? [] : [`lt${to.toISOString()}`]),
    ];
    return this.pagedSearch(
      req,
      res,
      async (page) => {
        const r = await this.call(
          this.platforms.schedules.searchFreeSlots,
          {
            serviceType,
            odsCode,
            region: '',
            startFrom: toTimestamp(from),
            startTo: toTimestamp(to),
            page,
          },
          forwardContext(req),
          'Slot',
          (f) => SLOT_SEARCH_FIELDS[f],
        );
        return {
          resources: r.slots.map(slotToFhir),
          nextPageToken: r.page?.nextPageToken,
          total: r.page?.total,
        };
      },
      defaults.length ? { start: defaults } : undefined,
    );
  }
}
