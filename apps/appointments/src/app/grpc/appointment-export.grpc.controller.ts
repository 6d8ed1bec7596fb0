import { Controller, Inject } from '@nestjs/common';
import { appointments, fromOptionalTimestamp } from '@trellis/contracts';
import { patientBatchQuery } from '@trellis/platform';

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
    const q = patientBatchQuery(
      {
        nhsNumbers: req.nhsNumbers,
        updatedSince: fromOptionalTimestamp(req.updatedSince),
        ...(req.page ? { page: req.page } : {}),
      },
      (violations) => AppointmentsError.invalid(violations),
    );
    const rows = await this.prisma.appointment.findMany({
      where: {
        nhsNumber: { in: q.nhsNumbers },
        ...(q.updatedSince ? { updatedAt: { gte: q.updatedSince } } : {}),
        ...(q.afterId ? { id: { gt: q.afterId } } : {}),
      },
      orderBy: { id: 'asc' },
      take: q.take,
    });
    const page = q.page(rows);
    return {
      appointments: page.rows.map(appointmentToProto),
      page: { nextPageToken: page.nextPageToken },
    };
  }
}
