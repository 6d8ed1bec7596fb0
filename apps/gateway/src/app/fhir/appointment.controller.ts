import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { AuditSubjectExtractor } from '@trellis/auth';
import type { Appointment, Bundle } from '@medplum/fhirtypes';
import { appointments, fromTimestamp } from '@trellis/contracts';
import { appointmentToFhir, FhirError, NHS_NUMBER_SYSTEM, validateNhsNumber } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { PATIENT_PARAM, searchOf } from './fhir.search';
import { parseIfMatch, versionHeaders, headerValue } from './fhir.support';
import {
  param,
  patientParamSubject,
  PlatformFhirController,
  type HistoryVersion,
  resourceSubject,
} from './platform-fhir.controller';
import { APPOINTMENT_BOOK } from './operations/appointment-book';
import { ServeOperation } from './operations/fhir-operation';
import { APPOINTMENT_CANCEL } from './operations/appointment-cancel';
import { APPOINTMENT_RESCHEDULE } from './operations/appointment-reschedule';
import { APPOINTMENT_ARRIVED } from './operations/appointment-arrived';
import { APPOINTMENT_FULFIL } from './operations/appointment-fulfil';
import { APPOINTMENT_NO_SHOW } from './operations/appointment-no-show';

/** The audit subject of a history Bundle: the appointment id and the patient of its entries. */
const historySubject: AuditSubjectExtractor = (req, res) => {
  const id = (req as { params?: { id?: string } }).params?.id;
  const first = (res as Bundle | undefined)?.entry?.[0]?.resource as Appointment | undefined;
  const patient = first?.participant?.find((p) => p.actor?.identifier?.system === NHS_NUMBER_SYSTEM)
    ?.actor?.identifier?.value;
  return { ...(id ? { resourceId: id } : {}), ...(patient ? { nhsNumber: patient } : {}) };
};

/** Platform field → FHIRPath of an operation's Parameters. */
const OPERATION_FIELDS: Record<string, string> = {
  new_slot_id: "Parameters.parameter.where(name='slot')",
  reason: "Parameters.parameter.where(name='reason')",
  appointment_id: 'Appointment.id',
};

/**
 * Platform refusals of a state change, in FHIR terms: a state-machine violation is a conflict with
 * the appointment's current state (409, the message names it). A stale If-Match is 412 by
 * @trellis/fhir's outcome mapping.
 */
function stateConflict(err: unknown): unknown {
  if (!(err instanceof FhirError)) return err;
  if (err.issues[0]?.rule === 'platform.illegal-transition')
    return new FhirError(
      409,
      err.issues.map((i) => ({ ...i, code: 'conflict' as const })),
    );
  return err;
}

/** Appointment: read, patient search, and the booking operations ($book, $cancel). */
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
  async book(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    const p = await this.parameters(req, 'Appointment', 'operation:$book');
    const slot = param(p, 'slot')?.replace(/^Slot\//, '');
    const patient = param(p, 'patient')?.replace(/^Patient\//, '');
    const key = param(p, 'idempotency-key');
    const missing = [
      ['slot', slot],
      ['patient', patient],
      ['idempotency-key', key],
    ]
      .filter(([, v]) => !v)
      .map(([n]) => n!);
    if (missing.length) {
      throw new FhirError(
        400,
        missing.map((n) => ({
          severity: 'error',
          code: 'required',
          rule: 'operation.parameter.required',
          expression: `Parameters.parameter.where(name='${n}')`,
          message: `parameter ${n} is required`,
        })),
      );
    }
    if (!validateNhsNumber(patient).valid) {
      throw FhirError.of(
        422,
        'value',
        'nhs-number.check-digit',
        'patient must be Patient/<valid NHS number>',
        "Parameters.parameter.where(name='patient')",
      );
    }
    const r = await this.call(
      this.platforms.appointments.bookAppointment,
      {
        idempotencyKey: key,
        slotId: slot,
        nhsNumber: patient,
        referralId: param(p, 'referral')?.replace(/^ServiceRequest\//, '') ?? '',
      },
      forwardContext(req),
      'Appointment',
    );
    const a = appointmentToFhir(r.appointment!);
    return sendFhir(res, r.replayed ? 200 : 201, a, {
      ...versionHeaders(a),
      Location: `${this.base}/Appointment/${a.id}`,
    });
  }
  @ServeOperation(APPOINTMENT_CANCEL)
  async cancelAppointment(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    const p = await this.parameters(req, 'Appointment', 'operation:$cancel');
    return this.transition(req, res, 'cancelAppointment', { reason: param(p, 'reason') ?? '' });
  }

  @ServeOperation(APPOINTMENT_RESCHEDULE)
  async reschedule(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    const p = await this.parameters(req, 'Appointment', 'operation:$reschedule');
    const slot = param(p, 'slot')?.replace(/^Slot\//, '');
    if (!slot) {
      throw FhirError.of(
        400,
        'required',
        'operation.parameter.required',
        'parameter slot is required',
        "Parameters.parameter.where(name='slot')",
      );
    }
    return this.transition(req, res, 'rescheduleAppointment', {
      newSlotId: slot,
      reason: param(p, 'reason') ?? '',
    });
  }

  @ServeOperation(APPOINTMENT_ARRIVED)
  async arrived(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    await this.parameters(req, 'Appointment', 'operation:$arrived');
    return this.transition(req, res, 'markArrived', {});
  }

  @ServeOperation(APPOINTMENT_FULFIL)
  async fulfil(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    await this.parameters(req, 'Appointment', 'operation:$fulfil');
    return this.transition(req, res, 'markFulfilled', {});
  }

  @ServeOperation(APPOINTMENT_NO_SHOW)
  async noShow(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    await this.parameters(req, 'Appointment', 'operation:$no-show');
    return this.transition(req, res, 'markNoShow', {});
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
  private async transition(
    req: Request,
    res: Response,
    method:
      | 'cancelAppointment'
      | 'rescheduleAppointment'
      | 'markArrived'
      | 'markFulfilled'
      | 'markNoShow',
    args: Record<string, string>,
  ): Promise<Appointment> {
    const expected = parseIfMatch(headerValue(req.headers['if-match']));
    let r: { appointment?: appointments.v1.Appointment };
    try {
      r = await this.call(
        this.platforms.appointments[method],
        { appointmentId: String(req.params['id']), expectedVersion: expected ?? 0, ...args },
        forwardContext(req),
        'Appointment',
        (f) => OPERATION_FIELDS[f],
      );
    } catch (err) {
      throw stateConflict(err);
    }
    const a = appointmentToFhir(r.appointment!);
    return sendFhir(res, 200, a, versionHeaders(a));
  }
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
