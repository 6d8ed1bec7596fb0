import { grpcController, type GrpcHandlers } from '@trellis/service-kit';
import { appointments } from '@trellis/contracts';

import { SchedulingService } from '../scheduling/scheduling.service';
import { callOf } from '@trellis/identity-client';
import { dateFromProto, scheduleToProto, slotStatusFromProto, slotToProto } from './mappers';

export const ScheduleGrpcController = grpcController(
  appointments.v1.ScheduleServiceDefinition,
  [SchedulingService],
  (scheduling: SchedulingService): GrpcHandlers<appointments.v1.ScheduleServiceController> => ({
    createSchedule: async (req, md) => {
      const { caller } = callOf(md);
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
    getSchedule: async (req, md) => {
      callOf(md);
      return { schedule: scheduleToProto(await scheduling.getSchedule(req.scheduleId)) };
    },
    publishSlots: async (req, md) => {
      const { caller } = callOf(md);
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
    searchFreeSlots: async (req, md) => {
      callOf(md);
      const res = await scheduling.searchFreeSlots({
        serviceType: req.serviceType,
        odsCode: req.odsCode,
        region: req.region,
        from: dateFromProto(req.startFrom),
        to: dateFromProto(req.startTo),
        pageSize: req.page?.pageSize,
        pageToken: req.page?.pageToken,
      });
      return { slots: res.slots.map(slotToProto), page: { nextPageToken: res.nextPageToken } };
    },
    listSchedules: async (req, md) => {
      callOf(md);
      const res = await scheduling.listSchedules({
        odsCode: req.odsCode,
        serviceType: req.serviceType,
        practitionerId: req.practitionerId,
        idempotencyKey: req.idempotencyKey,
        pageSize: req.page?.pageSize,
        pageToken: req.page?.pageToken,
      });
      return {
        schedules: res.schedules.map(scheduleToProto),
        page: { nextPageToken: res.nextPageToken },
      };
    },
    getSlot: async (req, md) => {
      callOf(md);
      return { slot: slotToProto(await scheduling.getSlot(req.slotId)) };
    },
  }),
);
