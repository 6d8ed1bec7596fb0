import type { Appointment } from '@medplum/fhirtypes';
import { FhirError } from '@trellis/fhir';

import { type OperationHandler, param, resourceSubject } from '../platform-fhir.controller';
import { appointmentTransition } from './appointment-transition';
import {
  fhirOperation,
  freeTextParameter,
  instanceOperationDefinition,
  operationParameter,
  returnParameter,
} from './fhir-operation';

/** POST /fhir/Appointment/:id/$reschedule */
export const APPOINTMENT_RESCHEDULE = fhirOperation(
  instanceOperationDefinition('Appointment', 'reschedule', {
    description:
      'Moves a booked appointment to another free Slot of the same providing organisation in one transaction: the new slot becomes busy, the old one free. If-Match W/"<version>" is honoured (412 when stale); an appointment that is not booked answers 409 naming its status. Returns the rescheduled Appointment.',
    affectsState: true,
    parameter: [
      operationParameter('in', 'slot', 'Reference', 1, '1', 'Slot/<id> of the new, free slot'),
      freeTextParameter('reason', 0),
      returnParameter('Appointment', 'The rescheduled appointment'),
    ],
  }),
  {
    method: 'POST',
    platform: 'appointments',
    scope: 'system/Appointment.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Move a booked appointment to another free slot of the same provider (atomic)',
  },
);

/** Serves Appointment/{id}/$reschedule: the appointments platform's rescheduleAppointment. */
export const rescheduleAppointment: OperationHandler<Appointment> = async (ctx, req, res) => {
  const p = await ctx.parameters(req, 'Appointment', 'operation:$reschedule');
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
  return appointmentTransition(ctx, req, res, 'rescheduleAppointment', {
    newSlotId: slot,
    reason: param(p, 'reason') ?? '',
  });
};
