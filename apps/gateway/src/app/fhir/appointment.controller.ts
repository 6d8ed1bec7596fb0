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
  op,
  param,
  patientParamSubject,
  instanceOperation,
  PlatformFhirController,
  type HistoryVersion,
  REASON_PARAM,
  resourceSubject,
} from './platform-fhir.controller';

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

  @FhirRoute({
    method: 'POST',
    path: 'Appointment/$book',
    resource: 'Appointment',
    platform: 'appointments',
    interaction: 'operation',
    scope: 'system/Appointment.c',
    patientData: true,
    subject: resourceSubject,
    summary: 'Book a free slot for a patient (idempotent per booking organisation)',
    operation: op(
      'book',
      false,
      'Books a free Slot for a Patient. Parameters: slot (Slot/<id>), patient (Patient/<NHS number>), idempotency-key, optional referral (ServiceRequest/<id>). Returns the booked Appointment; a replay with the same key returns the same booking.',
      [
        {
          name: 'slot',
          use: 'in',
          min: 1,
          max: '1',
          type: 'Reference',
          documentation: 'Slot/<id>',
        },
        {
          name: 'patient',
          use: 'in',
          min: 1,
          max: '1',
          type: 'Reference',
          documentation: 'Patient/<NHS number>',
        },
        {
          name: 'idempotency-key',
          use: 'in',
          min: 1,
          max: '1',
          type: 'string',
          documentation: 'Unique per booking organisation (8..128 chars)',
        },
        {
          name: 'referral',
          use: 'in',
          min: 0,
          max: '1',
          type: 'Reference',
          documentation: 'ServiceRequest/<id>',
        },
        {
          name: 'return',
          use: 'out',
          min: 1,
          max: '1',
          type: 'Appointment',
          documentation: 'The booked appointment',
        },
      ],
    ),
  })
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
  @FhirRoute(
    instanceOperation({
      resource: 'Appointment',
      platform: 'appointments',
      name: 'cancel',
      summary: 'Cancel an appointment (frees its slot)',
      description:
        'Cancels a booked appointment with a reason; the slot becomes free again. Returns the cancelled Appointment.',
      parameters: [{ ...REASON_PARAM, min: 1 }],
      returns: 'The cancelled appointment',
    }),
  )
  async cancelAppointment(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    const p = await this.parameters(req, 'Appointment', 'operation:$cancel');
    return this.transition(req, res, 'cancelAppointment', { reason: param(p, 'reason') ?? '' });
  }

  @FhirRoute(
    instanceOperation({
      resource: 'Appointment',
      platform: 'appointments',
      name: 'reschedule',
      summary: 'Move a booked appointment to another free slot of the same provider (atomic)',
      description:
        'Moves a booked appointment to another free Slot of the same providing organisation in one transaction: the new slot becomes busy, the old one free. If-Match W/"<version>" is honoured (412 when stale); an appointment that is not booked answers 409 naming its status. Returns the rescheduled Appointment.',
      parameters: [
        {
          name: 'slot',
          use: 'in',
          min: 1,
          max: '1',
          type: 'Reference',
          documentation: 'Slot/<id> of the new, free slot',
        },
        REASON_PARAM,
      ],
      returns: 'The rescheduled appointment',
    }),
  )
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

  @FhirRoute(
    instanceOperation({
      resource: 'Appointment',
      platform: 'appointments',
      name: 'arrived',
      summary:
        'Record that the patient has arrived (booked → arrived; providing organisation only)',
      description:
        'booked → arrived, by the providing organisation. If-Match honoured (412 when stale); any other current status answers 409 naming it. Returns the Appointment.',
      parameters: [],
      returns: 'The arrived appointment',
    }),
  )
  async arrived(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    await this.parameters(req, 'Appointment', 'operation:$arrived');
    return this.transition(req, res, 'markArrived', {});
  }

  @FhirRoute(
    instanceOperation({
      resource: 'Appointment',
      platform: 'appointments',
      name: 'fulfil',
      summary:
        'Record that the appointment took place (arrived → fulfilled; providing organisation only)',
      description:
        'arrived → fulfilled, by the providing organisation. If-Match honoured (412 when stale); any other current status answers 409 naming it. Returns the Appointment.',
      parameters: [],
      returns: 'The fulfilled appointment',
    }),
  )
  async fulfil(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    await this.parameters(req, 'Appointment', 'operation:$fulfil');
    return this.transition(req, res, 'markFulfilled', {});
  }

  @FhirRoute(
    instanceOperation({
      resource: 'Appointment',
      platform: 'appointments',
      name: 'no-show',
      summary:
        'Record that the patient did not attend (booked → noshow, once the slot has started)',
      description:
        'booked → noshow, by the providing organisation, once the slot has started (422 before). If-Match honoured (412 when stale); any other current status answers 409 naming it. Returns the Appointment.',
      parameters: [],
      returns: 'The no-show appointment',
    }),
  )
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
