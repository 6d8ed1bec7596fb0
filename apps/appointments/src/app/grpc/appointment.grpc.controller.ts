import { grpcController, type GrpcHandlers } from '@trellis/service-kit';
import { appointments } from '@trellis/contracts';

import { BookingService } from '../booking/booking.service';
import { callOf } from '@trellis/identity-client';
import { appointmentToProto, appointmentVersionToProto, periodFromProto } from './mappers';

export const AppointmentGrpcController = grpcController(
  appointments.v1.AppointmentServiceDefinition,
  [BookingService],
  (booking: BookingService): GrpcHandlers<appointments.v1.AppointmentServiceController> => ({
    bookAppointment: async (req, md) => {
      const { caller, ctx } = callOf(md);
      const { appointment, replayed } = await booking.book(
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
    },
    cancelAppointment: async (req, md) => {
      const { caller, ctx } = callOf(md);
      return {
        appointment: appointmentToProto(
          await booking.cancel(caller, req.appointmentId, req.reason, ctx, req.expectedVersion),
        ),
      };
    },
    rescheduleAppointment: async (req, md) => {
      const { caller, ctx } = callOf(md);
      const res = await booking.reschedule(
        caller,
        req.appointmentId,
        req.newSlotId,
        req.reason,
        ctx,
        req.expectedVersion,
      );
      return {
        appointment: appointmentToProto(res.appointment),
        previousSlotId: res.previousSlotId,
      };
    },
    markArrived: async (req, md) => {
      const { caller, ctx } = callOf(md);
      return {
        appointment: appointmentToProto(
          await booking.markArrived(caller, req.appointmentId, ctx, req.expectedVersion),
        ),
      };
    },
    markFulfilled: async (req, md) => {
      const { caller, ctx } = callOf(md);
      return {
        appointment: appointmentToProto(
          await booking.markFulfilled(caller, req.appointmentId, ctx, req.expectedVersion),
        ),
      };
    },
    markNoShow: async (req, md) => {
      const { caller, ctx } = callOf(md);
      return {
        appointment: appointmentToProto(
          await booking.markNoShow(caller, req.appointmentId, ctx, req.expectedVersion),
        ),
      };
    },
    getAppointment: async (req, md) => {
      const { caller, ctx } = callOf(md);
      return {
        appointment: appointmentToProto(await booking.get(caller, req.appointmentId, ctx)),
      };
    },
    listPatientAppointments: async (req, md) => {
      const { caller, ctx } = callOf(md);
      const res = await booking.listForPatient(
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
    },
    getOrganisationDayList: async (req, md) => {
      const { caller } = callOf(md);
      const res = await booking.dayList(caller, {
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
    },
    getAppointmentVersion: async (req, md) => {
      const { caller, ctx } = callOf(md);
      return {
        version: appointmentVersionToProto(
          await booking.getVersion(caller, req.appointmentId, req.version, ctx),
        ),
      };
    },
    listAppointmentVersions: async (req, md) => {
      const { caller, ctx } = callOf(md);
      const res = await booking.listVersions(
        caller,
        req.appointmentId,
        { pageSize: req.page?.pageSize, pageToken: req.page?.pageToken },
        ctx,
      );
      return {
        versions: res.versions.map(appointmentVersionToProto),
        page: { nextPageToken: res.nextPageToken, total: res.total },
      };
    },
  }),
);
