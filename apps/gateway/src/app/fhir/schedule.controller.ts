import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { Bundle, Schedule } from '@medplum/fhirtypes';
import { appointments, toTimestamp } from '@trellis/contracts';
import { FhirError, scheduleToFhir, slotToFhir } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { countParam, queryParams } from './fhir.support';
import { PlatformFhirController } from './platform-fhir.controller';

const SCHEDULES = 'trellis.appointments.v1.ScheduleService';

/** Schedule and Slot: the organisations' bookable services and their free slots. */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ScheduleFhirController extends PlatformFhirController {
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
    const r = await this.call<appointments.v1.GetScheduleResponse>(
      'appointments',
      SCHEDULES,
      'GetSchedule',
      { scheduleId: String(req.params['id']) },
      forwardContext(req),
      'Schedule',
    );
    return sendFhir(res, 200, scheduleToFhir(r.schedule!));
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
        documentation:
          'ge<instant> and lt<instant> (window of at most 92 days; default the next 14 days)',
      },
      { name: 'service-type', type: 'token', documentation: 'Service type code' },
      {
        name: 'organization',
        type: 'token',
        documentation: 'ODS code of the providing organisation',
      },
      { name: '_count', type: 'number', documentation: 'Page size (capped)' },
    ],
    summary: 'Free slots, soonest first',
  })
  async searchSlots(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const params = queryParams(req);
    const count = countParam(params, 50, this.config.maxCount);
    let from = new Date();
    let to = new Date(from.getTime() + 14 * 86_400_000);
    for (const v of params.get('start') ?? []) {
      const m = /^(ge|gt|le|lt)(.+)$/.exec(v);
      const d = m ? new Date(m[2]!) : new Date(NaN);
      if (!m || Number.isNaN(d.getTime()))
        throw FhirError.of(
          400,
          'invalid',
          'search.start',
          'start must be ge<instant> / lt<instant>',
          'start',
        );
      if (m[1] === 'ge' || m[1] === 'gt') from = d;
      else to = d;
    }
    const r = await this.call<appointments.v1.SearchFreeSlotsResponse>(
      'appointments',
      SCHEDULES,
      'SearchFreeSlots',
      {
        serviceType: params.get('service-type')?.[0] ?? '',
        odsCode: (params.get('organization')?.[0] ?? '').split('|').pop() ?? '',
        region: '',
        startFrom: toTimestamp(from),
        startTo: toTimestamp(to),
        page: { pageSize: Math.max(count, 1), pageToken: '' },
      },
      forwardContext(req),
      'Slot',
    );
    return this.searchset(req, res, r.slots.map(slotToFhir));
  }
}
