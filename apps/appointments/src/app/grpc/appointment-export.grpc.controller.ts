import { appointments } from '@trellis/contracts';
import { patientBatchQueryOf, grpcController, type GrpcHandlers } from '@trellis/service-kit';

import { BookingRepository } from '../booking/booking.repository';
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
  (prisma: PrismaClient): GrpcHandlers<appointments.v1.AppointmentExportServiceController> => {
    const repo = new BookingRepository(prisma);
    return {
      listAppointmentsForPatients: async (req) => {
        const q = patientBatchQueryOf(req, (violations) => AppointmentsError.invalid(violations));
        const page = q.page(await repo.forPatients(q));
        return {
          appointments: page.rows.map(appointmentToProto),
          page: { nextPageToken: page.nextPageToken },
        };
      },
    };
  },
);
