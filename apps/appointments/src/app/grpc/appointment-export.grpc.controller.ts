import { Controller, Inject } from '@nestjs/common';
import { appointments } from '@trellis/contracts';
import { patientBatchFindArgs, patientBatchQueryOf } from '@trellis/platform';

import { AppointmentsError } from '../domain/appointments.errors';
import { PRISMA, type PrismaClient } from '../prisma';
import { appointmentToProto } from './mappers';

const { AppointmentExportServiceControllerMethods } = appointments.v1;

/**
 * Bulk export's source of appointments (FHIR $export at the gateway): every appointment of the
 * given patients, whichever organisation holds or booked it. Reached only by Trellis services (the
 * front door does not forward this service) with a population-read token; which patients is the
 * gateway's judgement (identity's regional list), so the platform needs no regional knowledge.
 */
@Controller()
@AppointmentExportServiceControllerMethods()
export class AppointmentExportGrpcController
  implements appointments.v1.AppointmentExportServiceController
{
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async listAppointmentsForPatients(
    req: appointments.v1.ListAppointmentsForPatientsRequest,
  ): Promise<appointments.v1.ListAppointmentsForPatientsResponse> {
    const q = patientBatchQueryOf(req, (violations) => AppointmentsError.invalid(violations));
    const rows = await this.prisma.appointment.findMany(patientBatchFindArgs(q, 'updatedAt'));
    const page = q.page(rows);
    return {
      appointments: page.rows.map(appointmentToProto),
      page: { nextPageToken: page.nextPageToken },
    };
  }
}
