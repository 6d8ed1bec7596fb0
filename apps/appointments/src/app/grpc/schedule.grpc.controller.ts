import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { appointments } from '@trellis/contracts';

import { SchedulingService } from '../scheduling/scheduling.service';
import { callOf } from '@trellis/identity-client';
import { dateFromProto, scheduleToProto, slotStatusFromProto, slotToProto } from './mappers';

const { ScheduleServiceControllerMethods } = appointments.v1;

@Controller()
@ScheduleServiceControllerMethods()
export class ScheduleGrpcController implements appointments.v1.ScheduleServiceController {
  constructor(private readonly scheduling: SchedulingService) {}

  async createSchedule(
    req: appointments.v1.CreateScheduleRequest,
    md?: Metadata,
  ): Promise<appointments.v1.CreateScheduleResponse> {
    const { caller } = callOf(md);
    const { schedule, replayed } = await this.scheduling.createOrReplaySchedule(caller, {
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
  }

  async getSchedule(
    req: appointments.v1.GetScheduleRequest,
    md?: Metadata,
  ): Promise<appointments.v1.GetScheduleResponse> {
    callOf(md);
    return { schedule: scheduleToProto(await this.scheduling.getSchedule(req.scheduleId)) };
  }

  async publishSlots(
    req: appointments.v1.PublishSlotsRequest,
    md?: Metadata,
  ): Promise<appointments.v1.PublishSlotsResponse> {
    const { caller } = callOf(md);
    const published = await this.scheduling.publishOrReplaySlots(
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
  }

  async searchFreeSlots(
    req: appointments.v1.SearchFreeSlotsRequest,
    md?: Metadata,
  ): Promise<appointments.v1.SearchFreeSlotsResponse> {
    callOf(md);
    const res = await this.scheduling.searchFreeSlots({
      serviceType: req.serviceType,
      odsCode: req.odsCode,
      region: req.region,
      from: dateFromProto(req.startFrom),
      to: dateFromProto(req.startTo),
      pageSize: req.page?.pageSize,
      pageToken: req.page?.pageToken,
    });
    return { slots: res.slots.map(slotToProto), page: { nextPageToken: res.nextPageToken } };
  }

  async listSchedules(
    req: appointments.v1.ListSchedulesRequest,
    md?: Metadata,
  ): Promise<appointments.v1.ListSchedulesResponse> {
    callOf(md);
    const res = await this.scheduling.listSchedules({
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
  }

  async getSlot(
    req: appointments.v1.GetSlotRequest,
    md?: Metadata,
  ): Promise<appointments.v1.GetSlotResponse> {
    callOf(md);
    return { slot: slotToProto(await this.scheduling.getSlot(req.slotId)) };
  }
}
