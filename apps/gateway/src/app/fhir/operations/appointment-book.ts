import type { Appointment } from '@medplum/fhirtypes';
import { appointmentToFhir, FhirError, validateNhsNumber } from '@trellis/fhir';

import { forwardContext, sendFhir } from '../fhir.http';
import { versionHeaders } from '../fhir.support';
import { type OperationHandler, param, resourceSubject } from '../platform-fhir.controller';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/Appointment/$book */
export const APPOINTMENT_BOOK = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'appointment-book',
    name: 'book',
    status: 'active',
    kind: 'operation',
    description:
      'Books a free Slot for a Patient. Parameters: slot (Slot/<id>), patient (Patient/<NHS number>), idempotency-key, optional referral (ServiceRequest/<id>). Returns the booked Appointment; a replay with the same key returns the same booking.',
    affectsState: true,
    code: 'book',
    resource: ['Appointment'],
    system: false,
    type: true,
    instance: false,
    parameter: [
      {
        name: 'slot',
        use: 'in',
        min: 1,
        max: '1',
        documentation: 'Slot/<id>',
        type: 'Reference',
      },
      {
        name: 'patient',
        use: 'in',
        min: 1,
        max: '1',
        documentation: 'Patient/<NHS number>',
        type: 'Reference',
      },
      {
        name: 'idempotency-key',
        use: 'in',
        min: 1,
        max: '1',
        documentation: 'Unique per booking organisation (8..128 chars)',
        type: 'string',
      },
      {
        name: 'referral',
        use: 'in',
        min: 0,
        max: '1',
        documentation: 'ServiceRequest/<id>',
        type: 'Reference',
      },
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation: 'The booked appointment',
        type: 'Appointment',
      },
    ],
  },
  {
    method: 'POST',
    platform: 'appointments',
    scope: 'system/Appointment.c',
    patientData: true,
    subject: resourceSubject,
    summary: 'Book a free slot for a patient (idempotent per booking organisation)',
  },
);

/**
 * Serves Appointment/$book: slot, patient and idempotency key are required (every missing one
 * named); a replayed booking answers 200 with the first booking, a new one 201 with its Location.
 */
export const bookAppointment: OperationHandler<Appointment> = async (ctx, req, res) => {
  const p = await ctx.parameters(req, 'Appointment', 'operation:$book');
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
  const r = await ctx.call(
    ctx.platforms.appointments.bookAppointment,
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
    Location: `${ctx.base}/Appointment/${a.id}`,
  });
};
