import type { Schedule, Slot } from '@medplum/fhirtypes';
import { appointments, fromTimestamp } from '@trellis/contracts';

import { publishSlotFromFhir, scheduleFromFhir } from './mapping/summaries';
import { trellisRules } from './rules';
import {
  GMC_SYSTEM,
  ODS_ORGANISATION_SYSTEM,
  REGION_EXTENSION,
  SCHEDULE_REQUEST_ID_SYSTEM,
  SLOT_REQUEST_ID_SYSTEM,
} from './systems';
import { validateFhirResource } from './validator';

const rulesOf = (r: Record<string, unknown>) =>
  trellisRules(r, { today: '2026-01-01' }).map((i) => `${i.rule}@${i.expression}`);

const schedule: Schedule = {
  resourceType: 'Schedule',
  actor: [
    {
      type: 'Organization',
      identifier: { system: ODS_ORGANISATION_SYSTEM, value: 'RR8' },
      extension: [{ url: REGION_EXTENSION, valueCode: 'north-east' }],
    },
    { type: 'Practitioner', identifier: { system: GMC_SYSTEM, value: '7654321' } },
  ],
  serviceType: [{ coding: [{ code: 'cardiology-clinic' }], text: 'Cardiology clinic' }],
  specialty: [{ text: 'cardiology' }],
  comment: 'Cardiology OPD',
  identifier: [{ system: SCHEDULE_REQUEST_ID_SYSTEM, value: 'clinic-0001' }],
};

describe('Schedule and Slot rules and mapping', () => {
  it('accepts a well-formed schedule and maps it to CreateSchedule', () => {
    expect(validateFhirResource(schedule, { resourceType: 'Schedule', mode: 'create' })).toEqual({
      valid: true,
      status: 200,
      issues: [],
    });
    expect(scheduleFromFhir(schedule)).toEqual({
      odsCode: 'RR8',
      serviceType: 'cardiology-clinic',
      specialty: 'cardiology',
      practitionerId: '7654321',
      region: 'north-east',
      bookableByOdsCodes: [],
      bookableByOrgTypes: [],
      name: 'Cardiology OPD',
      idempotencyKey: 'clinic-0001',
    });
  });

  it('names the organisation, practitioner and service type problems', () => {
    expect(
      rulesOf({
        resourceType: 'Schedule',
        actor: [
          { type: 'Organization', identifier: { system: ODS_ORGANISATION_SYSTEM, value: 'rr8' } },
          { reference: 'Location/1' },
        ],
        serviceType: [{ text: 'has spaces' }],
        identifier: [{ system: SCHEDULE_REQUEST_ID_SYSTEM, value: 'short' }],
      }),
    ).toEqual([
      'ods.format@Schedule.actor[0].identifier.value',
      'schedule.practitioner@Schedule.actor[1]',
      'schedule.service-type@Schedule.serviceType[0]',
      'schedule.identifier@Schedule.identifier',
    ]);
    expect(rulesOf({ resourceType: 'Schedule', actor: [{ display: 'x' }] })).toEqual([
      'schedule.actor@Schedule.actor',
      'schedule.practitioner@Schedule.actor[0]',
      'schedule.service-type@Schedule.serviceType[0]',
    ]);
  });

  it('checks a slot: schedule reference, status on create, end after start; maps it', () => {
    const slot: Slot = {
      resourceType: 'Slot',
      schedule: { reference: 'Schedule/3b0c6a52-2f5e-4a53-9b7e-2d7c3c1f0a11' },
      status: 'busy-unavailable',
      start: '2030-01-01T09:00:00Z',
      end: '2030-01-01T09:15:00Z',
    };
    expect(rulesOf(slot as unknown as Record<string, unknown>)).toEqual([]);
    const req = publishSlotFromFhir(slot);
    expect(req.scheduleId).toBe('3b0c6a52-2f5e-4a53-9b7e-2d7c3c1f0a11');
    expect(req.slots[0]!.status).toBe(appointments.v1.SlotStatus.SLOT_STATUS_BUSY_UNAVAILABLE);
    expect(fromTimestamp(req.slots[0]!.end!).toISOString()).toBe('2030-01-01T09:15:00.000Z');
    expect(
      rulesOf({
        ...slot,
        schedule: { reference: 'Practitioner/1' },
        status: 'busy',
        end: '2030-01-01T08:00:00Z',
      }),
    ).toEqual([
      'slot.schedule@Slot.schedule.reference',
      'slot.status@Slot.status',
      'slot.period@Slot.end',
    ]);
  });

  it('maps the slot-request identifier to the idempotency key and checks it', () => {
    const slot: Slot = {
      resourceType: 'Slot',
      identifier: [{ system: SLOT_REQUEST_ID_SYSTEM, value: 'pas-slot-000123' }],
      schedule: { reference: 'Schedule/3b0c6a52-2f5e-4a53-9b7e-2d7c3c1f0a11' },
      status: 'free',
      start: '2030-01-01T09:00:00Z',
      end: '2030-01-01T09:15:00Z',
    };
    expect(rulesOf(slot as unknown as Record<string, unknown>)).toEqual([]);
    expect(publishSlotFromFhir(slot).slots[0]!.idempotencyKey).toBe('pas-slot-000123');
    expect(publishSlotFromFhir(slot, { ifNoneExist: true }).ifNoneExist).toBe(true);
    expect(publishSlotFromFhir({ ...slot, identifier: [] }).slots[0]!.idempotencyKey).toBe('');
    expect(
      rulesOf({ ...slot, identifier: [{ system: SLOT_REQUEST_ID_SYSTEM, value: 'short' }] }),
    ).toEqual(['slot.identifier@Slot.identifier']);
  });
});
