import { appointments } from '@trellis/contracts';
import {
  patientBatchFindArgs,
  patientBatchQueryOf,
  grpcController,
  type GrpcHandlers,
} from '@trellis/service-kit';

import { AppointmentsError } from '../domain/appointments.errors';
import { PRISMA, type PrismaClient } from '../prisma';
import { appointmentToProto } from './mappers';

/**
 * Bulk export's source of appointments (FHIR $export at the gateway): every appointment of the
 * given patients, whichever organisation holds or booked it. Reached only by Trellis services (the
 * front door does not forward this service) with a population-read token; which patients is the
 * gateway's judgement (identity's regional list), so the platform needs no regional knowledge.
 */
export const AppointmentExportGrpcController = grpcController(
  appointments.v1.AppointmentExportServiceDefinition,
  [PRISMA],
  (prisma: PrismaClient): GrpcHandlers<appointments.v1.AppointmentExportServiceController> => ({
    listAppointmentsForPatients: async (req) => {
      const q = patientBatchQueryOf(req, (violations) => AppointmentsError.invalid(violations));
      const rows = await prisma.appointment.findMany(patientBatchFindArgs(q, 'updatedAt'));
      const page = q.page(rows);
      return {
        appointments: page.rows.map(appointmentToProto),
        page: { nextPageToken: page.nextPageToken },
      };
    },
  }),
);
