import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { AuditSubjectExtractor } from '@trellis/auth';
import type { Appointment, Bundle } from '@medplum/fhirtypes';
import { appointments, fromTimestamp } from '@trellis/contracts';
import { appointmentToFhir, NHS_NUMBER_SYSTEM } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { PATIENT_PARAM, searchOf } from './fhir.search';
import { versionHeaders } from './fhir.support';
import {
  patientParamSubject,
  PlatformFhirController,
  type HistoryVersion,
  resourceSubject,
} from './platform-fhir.controller';
import { APPOINTMENT_ARRIVED, arrivedAppointment } from './operations/appointment-arrived';
import { APPOINTMENT_BOOK, bookAppointment } from './operations/appointment-book';
import { APPOINTMENT_CANCEL, cancelAppointment } from './operations/appointment-cancel';
import { APPOINTMENT_FULFIL, fulfilAppointment } from './operations/appointment-fulfil';
import { APPOINTMENT_NO_SHOW, noShowAppointment } from './operations/appointment-no-show';
import { APPOINTMENT_RESCHEDULE, rescheduleAppointment } from './operations/appointment-reschedule';
import { ServeOperation } from './operations/fhir-operation';

/** The audit subject of a history Bundle: the appointment id and the patient of its entries. */
const historySubject: AuditSubjectExtractor = (req, res) => {
  const id = (req as { params?: { id?: string } }).params?.id;
  const first = (res as Bundle | undefined)?.entry?.[0]?.resource as Appointment | undefined;
  const patient = first?.participant?.find((p) => p.actor?.identifier?.system === NHS_NUMBER_SYSTEM)
    ?.actor?.identifier?.value;
  return { ...(id ? { resourceId: id } : {}), ...(patient ? { nhsNumber: patient } : {}) };
};

/**
 * Appointment: read, patient search, history, and the booking operations ($book, $cancel,
 * $reschedule, $arrived, $fulfil, $no-show), each declared and handled in its operation file.
 */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class AppointmentFhirController extends PlatformFhirController {
  // ---------------------------------------------------------------- Appointment (appointments)

  @FhirRoute({
    method: 'GET',
    path: 'Appointment/:id',
    resource: 'Appointment',
    platform: 'appointments',
    interaction: 'read',
    scope: 'system/Appointment.r',
    patientData: true,
    subject: resourceSubject,
    summary: 'Read an appointment',
  })
  async readAppointment(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    const r = await this.call(
      this.platforms.appointments.getAppointment,
      { appointmentId: String(req.params['id']) },
      forwardContext(req),
      'Appointment',
    );
    const a = appointmentToFhir(r.appointment!);
    return sendFhir(res, 200, a, versionHeaders(a));
  }

  @FhirRoute({
    method: 'GET',
    path: 'Appointment',
    resource: 'Appointment',
    platform: 'appointments',
    interaction: 'search-type',
    scope: 'system/Appointment.s',
    patientData: true,
    subject: patientParamSubject,
    searchParams: [PATIENT_PARAM],
    summary: "A patient's appointments (past and upcoming, paged)",
  })
  async searchAppointments(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const nhs = this.patientParam(req);
    if (nhs === null) return this.noMatch(req, res);
    return this.pagedSearch(req, res, async (page) => {
      const r = await this.call(
        this.platforms.appointments.listPatientAppointments,
        { nhsNumber: nhs, period: appointments.v1.AppointmentPeriod.APPOINTMENT_PERIOD_ALL, page },
        forwardContext(req),
        'Appointment',
        (f) => ({ 'page.page_token': '_page_token', nhs_number: 'patient' })[f],
      );
      return {
        resources: r.appointments.map(appointmentToFhir),
        nextPageToken: r.page?.nextPageToken,
        total: r.page?.total,
      };
    });
  }

  @ServeOperation(APPOINTMENT_BOOK)
  book(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    return bookAppointment(this.operation, req, res);
  }

  @ServeOperation(APPOINTMENT_CANCEL)
  cancelAppointment(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    return cancelAppointment(this.operation, req, res);
  }

  @ServeOperation(APPOINTMENT_RESCHEDULE)
  reschedule(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    return rescheduleAppointment(this.operation, req, res);
  }

  @ServeOperation(APPOINTMENT_ARRIVED)
  arrived(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    return arrivedAppointment(this.operation, req, res);
  }

  @ServeOperation(APPOINTMENT_FULFIL)
  fulfil(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    return fulfilAppointment(this.operation, req, res);
  }

  @ServeOperation(APPOINTMENT_NO_SHOW)
  noShow(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    return noShowAppointment(this.operation, req, res);
  }

  @FhirRoute({
    method: 'GET',
    path: 'Appointment/:id/_history/:vid',
    resource: 'Appointment',
    platform: 'appointments',
    interaction: 'vread',
    scope: 'system/Appointment.r',
    patientData: true,
    subject: resourceSubject,
    summary: 'Read one version of an appointment',
  })
  async vread(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    const id = String(req.params['id']);
    const vid = this.versionParam(req, 'Appointment');
    const r = await this.call(
      this.platforms.appointments.getAppointmentVersion,
      { appointmentId: id, version: vid },
      forwardContext(req),
      'Appointment',
    );
    const a = versionToFhir(r.version!);
    return sendFhir(res, 200, a, versionHeaders(a));
  }

  @FhirRoute({
    method: 'GET',
    path: 'Appointment/:id/_history',
    resource: 'Appointment',
    platform: 'appointments',
    interaction: 'history-instance',
    scope: 'system/Appointment.r',
    patientData: true,
    subject: historySubject,
    summary: 'Versions of an appointment, newest first (paged)',
  })
  async history(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const id = String(req.params['id']);
    const count = searchOf(req).count;
    const r = await this.call(
      this.platforms.appointments.listAppointmentVersions,
      { appointmentId: id, page: { pageSize: Math.max(count, 1), pageToken: this.pageToken(req) } },
      forwardContext(req),
      'Appointment',
      (f) => ({ 'page.page_token': '_page_token', 'page.page_size': '_count' })[f],
    );
    const versions = r.versions.map((v): HistoryVersion => {
      const a = versionToFhir(v);
      const created = v.change === 'booked';
      const operation = CHANGE_OPERATION[v.change];
      return {
        resource: a,
        version: v.version,
        created,
        request: created
          ? { method: 'POST', url: 'Appointment/$book' }
          : operation
            ? { method: 'POST', url: `Appointment/${a.id}/${operation}` }
            : // changes made by the platform itself (a patient merge)
              { method: 'PUT', url: `Appointment/${a.id}` },
      };
    });
    return this.historyBundle(req, res, 'Appointment', versions, {
      count,
      nextPageToken: r.page?.nextPageToken,
      total: r.page?.total,
    });
  }

  /**
   * A state change on the addressed appointment: If-Match becomes the platform's expected
   * version (checked under the row lock), state-machine refusals become 409 / 412.
   */
}

/** The FHIR operation that made each recorded change (history entries' request.url). */
const CHANGE_OPERATION: Record<string, string> = {
  cancelled: '$cancel',
  rescheduled: '$reschedule',
  arrived: '$arrived',
  fulfilled: '$fulfil',
  noshow: '$no-show',
};

/** One recorded version → the Appointment as it was (versionId and lastUpdated of the version). */
function versionToFhir(v: appointments.v1.AppointmentVersion): Appointment {
  const a = appointmentToFhir(v.appointment!);
  a.meta = {
    ...a.meta,
    versionId: String(v.version),
    ...(v.recordedAt ? { lastUpdated: fromTimestamp(v.recordedAt).toISOString() } : {}),
  };
  return a;
}
