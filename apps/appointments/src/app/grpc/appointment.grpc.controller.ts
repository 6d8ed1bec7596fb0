import { appointments, pageOf } from '@trellis/contracts';

import { BookingService } from '../booking/booking.service';
import { platformGrpcController } from '@trellis/identity-client';
import { appointmentToProto, appointmentVersionToProto, periodFromProto } from './mappers';

export const AppointmentGrpcController = platformGrpcController(
  appointments.v1.AppointmentServiceDefinition,
  [BookingService],
  (booking: BookingService) => ({
    bookAppointment: async (req, { caller, ctx }) => {
      // the request is the booking's input, field for field
      const { appointment, replayed } = await booking.book(caller, req, ctx);
      return { appointment: appointmentToProto(appointment), replayed };
    },
    cancelAppointment: async (req, { caller, ctx }) => {
      return {
        appointment: appointmentToProto(
          await booking.cancel(caller, req.appointmentId, req.reason, ctx, req.expectedVersion),
        ),
      };
    },
    rescheduleAppointment: async (req, { caller, ctx }) => {
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
    markArrived: async (req, { caller, ctx }) => {
      return {
        appointment: appointmentToProto(
          await booking.markArrived(caller, req.appointmentId, ctx, req.expectedVersion),
        ),
      };
    },
    markFulfilled: async (req, { caller, ctx }) => {
      return {
        appointment: appointmentToProto(
          await booking.markFulfilled(caller, req.appointmentId, ctx, req.expectedVersion),
        ),
      };
    },
    markNoShow: async (req, { caller, ctx }) => {
      return {
        appointment: appointmentToProto(
          await booking.markNoShow(caller, req.appointmentId, ctx, req.expectedVersion),
        ),
      };
    },
    getAppointment: async (req, { caller, ctx }) => {
      return {
        appointment: appointmentToProto(await booking.get(caller, req.appointmentId, ctx)),
      };
    },
    listPatientAppointments: async (req, { caller, ctx }) => {
      const res = await booking.listForPatient(
        caller,
        {
          nhsNumber: req.nhsNumber,
          period: periodFromProto(req.period),
          ...pageOf(req.page),
        },
        ctx,
      );
      return {
        appointments: res.appointments.map(appointmentToProto),
        page: { nextPageToken: res.nextPageToken },
      };
    },
    getOrganisationDayList: async (req, { caller }) => {
      const res = await booking.dayList(caller, {
        odsCode: req.odsCode,
        date: req.date,
        includeCancelled: req.includeCancelled === true,
        ...pageOf(req.page),
      });
      return {
        appointments: res.appointments.map(appointmentToProto),
        page: { nextPageToken: res.nextPageToken },
      };
    },
    getAppointmentVersion: async (req, { caller, ctx }) => {
      return {
        version: appointmentVersionToProto(
          await booking.getVersion(caller, req.appointmentId, req.version, ctx),
        ),
      };
    },
    listAppointmentVersions: async (req, { caller, ctx }) => {
      const res = await booking.listVersions(caller, req.appointmentId, pageOf(req.page), ctx);
      return {
        versions: res.versions.map(appointmentVersionToProto),
        page: { nextPageToken: res.nextPageToken, total: res.total },
      };
    },
  }),
);
