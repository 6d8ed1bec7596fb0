import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { Appointment, Bundle } from '@medplum/fhirtypes';
import { appointments } from '@trellis/contracts';
import { appointmentToFhir, FhirError, validateNhsNumber } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { countParam, queryParams, versionHeaders } from './fhir.support';
import {
  op,
  param,
  patientParamSubject,
  PlatformFhirController,
  REASON_PARAM,
  resourceSubject,
} from './platform-fhir.controller';

const APPOINTMENTS = 'trellis.appointments.v1.AppointmentService';

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
    const r = await this.call<appointments.v1.GetAppointmentResponse>(
      'appointments',
      APPOINTMENTS,
      'GetAppointment',
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
    searchParams: [
      { name: 'patient', type: 'reference', documentation: 'Patient/<NHS number> (required)' },
      { name: '_count', type: 'number', documentation: 'Page size (capped)' },
    ],
    summary: "A patient's appointments (past and upcoming)",
  })
  async searchAppointments(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const nhs = this.patientParam(req);
    const count = countParam(queryParams(req), 50, this.config.maxCount);
    const r = await this.call<appointments.v1.ListPatientAppointmentsResponse>(
      'appointments',
      APPOINTMENTS,
      'ListPatientAppointments',
      {
        nhsNumber: nhs,
        period: appointments.v1.AppointmentPeriod.APPOINTMENT_PERIOD_ALL,
        page: { pageSize: Math.max(count, 1), pageToken: '' },
      },
      forwardContext(req),
      'Appointment',
    );
    return this.searchset(req, res, r.appointments.map(appointmentToFhir));
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
    const r = await this.call<appointments.v1.BookAppointmentResponse>(
      'appointments',
      APPOINTMENTS,
      'BookAppointment',
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
  @FhirRoute({
    method: 'POST',
    path: 'Appointment/:id/$cancel',
    resource: 'Appointment',
    platform: 'appointments',
    interaction: 'operation',
    scope: 'system/Appointment.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Cancel an appointment (frees its slot)',
    operation: op(
      'cancel',
      true,
      'Cancels a booked appointment with a reason; the slot becomes free again. Returns the cancelled Appointment.',
      [
        { ...REASON_PARAM, min: 1 },
        {
          name: 'return',
          use: 'out',
          min: 1,
          max: '1',
          type: 'Appointment',
          documentation: 'The cancelled appointment',
        },
      ],
    ),
  })
  async cancelAppointment(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    const p = await this.parameters(req, 'Appointment', 'operation:$cancel');
    const r = await this.call<{ appointment?: appointments.v1.Appointment }>(
      'appointments',
      APPOINTMENTS,
      'CancelAppointment',
      { appointmentId: String(req.params['id']), reason: param(p, 'reason') ?? '' },
      forwardContext(req),
      'Appointment',
    );
    const a = appointmentToFhir(r.appointment!);
    return sendFhir(res, 200, a, versionHeaders(a));
  }
}
