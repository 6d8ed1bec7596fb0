import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { appointments } from '@trellis/contracts';

import { BookingService } from '../booking/booking.service';
import { callOf } from '@trellis/identity-client';
import { appointmentToProto, appointmentVersionToProto, periodFromProto } from './mappers';

const { AppointmentServiceControllerMethods } = appointments.v1;

@Controller()
@AppointmentServiceControllerMethods()
export class AppointmentGrpcController implements appointments.v1.AppointmentServiceController {
  constructor(private readonly booking: BookingService) {}

  async bookAppointment(
    req: appointments.v1.BookAppointmentRequest,
    md?: Metadata,
  ): Promise<appointments.v1.BookAppointmentResponse> {
    const { caller, ctx } = callOf(md);
    const { appointment, replayed } = await this.booking.book(
      caller,
      {
        idempotencyKey: req.idempotencyKey,
        slotId: req.slotId,
        nhsNumber: req.nhsNumber,
        referralId: req.referralId,
      },
      ctx,
    );
    return { appointment: appointmentToProto(appointment), replayed };
  }

  async cancelAppointment(
    req: appointments.v1.CancelAppointmentRequest,
    md?: Metadata,
  ): Promise<appointments.v1.CancelAppointmentResponse> {
    const { caller, ctx } = callOf(md);
    return {
      appointment: appointmentToProto(
        await this.booking.cancel(caller, req.appointmentId, req.reason, ctx, req.expectedVersion),
      ),
    };
  }

  async rescheduleAppointment(
    req: appointments.v1.RescheduleAppointmentRequest,
    md?: Metadata,
  ): Promise<appointments.v1.RescheduleAppointmentResponse> {
    const { caller, ctx } = callOf(md);
    const res = await this.booking.reschedule(
      caller,
      req.appointmentId,
      req.newSlotId,
      req.reason,
      ctx,
      req.expectedVersion,
    );
    return { appointment: appointmentToProto(res.appointment), previousSlotId: res.previousSlotId };
  }

  async markArrived(
    req: appointments.v1.MarkArrivedRequest,
    md?: Metadata,
  ): Promise<appointments.v1.MarkArrivedResponse> {
    const { caller, ctx } = callOf(md);
    return {
      appointment: appointmentToProto(
        await this.booking.markArrived(caller, req.appointmentId, ctx, req.expectedVersion),
      ),
    };
  }

  async markFulfilled(
    req: appointments.v1.MarkFulfilledRequest,
    md?: Metadata,
  ): Promise<appointments.v1.MarkFulfilledResponse> {
    const { caller, ctx } = callOf(md);
    return {
      appointment: appointmentToProto(
        await this.booking.markFulfilled(caller, req.appointmentId, ctx, req.expectedVersion),
      ),
    };
  }

  async markNoShow(
    req: appointments.v1.MarkNoShowRequest,
    md?: Metadata,
  ): Promise<appointments.v1.MarkNoShowResponse> {
    const { caller, ctx } = callOf(md);
    return {
      appointment: appointmentToProto(
        await this.booking.markNoShow(caller, req.appointmentId, ctx, req.expectedVersion),
      ),
    };
  }

  async getAppointment(
    req: appointments.v1.GetAppointmentRequest,
    md?: Metadata,
  ): Promise<appointments.v1.GetAppointmentResponse> {
    const { caller, ctx } = callOf(md);
    return {
      appointment: appointmentToProto(await this.booking.get(caller, req.appointmentId, ctx)),
    };
  }

  async listPatientAppointments(
    req: appointments.v1.ListPatientAppointmentsRequest,
    md?: Metadata,
  ): Promise<appointments.v1.ListPatientAppointmentsResponse> {
    const { caller, ctx } = callOf(md);
    const res = await this.booking.listForPatient(
      caller,
      {
        nhsNumber: req.nhsNumber,
        period: periodFromProto(req.period),
        pageSize: req.page?.pageSize,
        pageToken: req.page?.pageToken,
      },
      ctx,
    );
    return {
      appointments: res.appointments.map(appointmentToProto),
      page: { nextPageToken: res.nextPageToken },
    };
  }

  async getOrganisationDayList(
    req: appointments.v1.GetOrganisationDayListRequest,
    md?: Metadata,
  ): Promise<appointments.v1.GetOrganisationDayListResponse> {
    const { caller } = callOf(md);
    const res = await this.booking.dayList(caller, {
      odsCode: req.odsCode,
      date: req.date,
      includeCancelled: req.includeCancelled === true,
      pageSize: req.page?.pageSize,
      pageToken: req.page?.pageToken,
    });
    return {
      appointments: res.appointments.map(appointmentToProto),
      page: { nextPageToken: res.nextPageToken },
    };
  }

  async getAppointmentVersion(
    req: appointments.v1.GetAppointmentVersionRequest,
    md?: Metadata,
  ): Promise<appointments.v1.GetAppointmentVersionResponse> {
    const { caller, ctx } = callOf(md);
    return {
      version: appointmentVersionToProto(
        await this.booking.getVersion(caller, req.appointmentId, req.version, ctx),
      ),
    };
  }

  async listAppointmentVersions(
    req: appointments.v1.ListAppointmentVersionsRequest,
    md?: Metadata,
  ): Promise<appointments.v1.ListAppointmentVersionsResponse> {
    const { caller, ctx } = callOf(md);
    const res = await this.booking.listVersions(
      caller,
      req.appointmentId,
      { pageSize: req.page?.pageSize, pageToken: req.page?.pageToken },
      ctx,
    );
    return {
      versions: res.versions.map(appointmentVersionToProto),
      page: { nextPageToken: res.nextPageToken, total: res.total },
    };
  }
}
