import { appointments, pageOf } from '@trellis/contracts';

import { SchedulingService } from '../scheduling/scheduling.service';
import { platformGrpcController } from '@trellis/identity-client';
import { dateFromProto, scheduleToProto, slotStatusFromProto, slotToProto } from './mappers';

export const ScheduleGrpcController = platformGrpcController(
  appointments.v1.ScheduleServiceDefinition,
  [SchedulingService],
  (scheduling: SchedulingService) => ({
    createSchedule: async (req, { caller }) => {
      const { schedule, replayed } = await scheduling.createOrReplaySchedule(caller, {
        odsCode: req.odsCode,
        serviceType: req.serviceType,
        specialty: req.specialty,
        practitionerId: req.practitionerId,
        region: req.region,
        bookableByOdsCodes: req.bookableByOdsCodes ?? [],
        bookableByOrgTypes: req.bookableByOrgTypes ?? [],
        name: req.name,
        idempotencyKey: req.idempotencyKey,
      });
      return { schedule: scheduleToProto(schedule), replayed };
    },
    getSchedule: async (req) => {
      return { schedule: scheduleToProto(await scheduling.getSchedule(req.scheduleId)) };
    },
    publishSlots: async (req, { caller }) => {
      const published = await scheduling.publishOrReplaySlots(
        caller,
        req.scheduleId,
        (req.slots ?? []).map((s) => ({
          start: dateFromProto(s.start),
          end: dateFromProto(s.end),
          status: slotStatusFromProto(s.status),
          idempotencyKey: s.idempotencyKey,
        })),
        { ifNoneExist: req.ifNoneExist },
      );
      return {
        slots: published.map((p) => slotToProto(p.slot)),
        replayed: published.map((p) => p.replayed),
      };
    },
    searchFreeSlots: async (req) => {
      const res = await scheduling.searchFreeSlots({
        serviceType: req.serviceType,
        odsCode: req.odsCode,
        region: req.region,
        from: dateFromProto(req.startFrom),
        to: dateFromProto(req.startTo),
        ...pageOf(req.page),
      });
      return { slots: res.slots.map(slotToProto), page: { nextPageToken: res.nextPageToken } };
    },
    listSchedules: async (req) => {
      const res = await scheduling.listSchedules({
        odsCode: req.odsCode,
        serviceType: req.serviceType,
        practitionerId: req.practitionerId,
        idempotencyKey: req.idempotencyKey,
        ...pageOf(req.page),
      });
      return {
        schedules: res.schedules.map(scheduleToProto),
        page: { nextPageToken: res.nextPageToken },
      };
    },
    getSlot: async (req) => {
      return { slot: slotToProto(await scheduling.getSlot(req.slotId)) };
    },
  }),
);
