import type { Appointment } from '@medplum/fhirtypes';

import { type OperationHandler, param, resourceSubject } from '../platform-fhir.controller';
import { appointmentTransition } from './appointment-transition';
import {
  fhirOperation,
  freeTextParameter,
  instanceOperationDefinition,
  returnParameter,
} from './fhir-operation';

/** POST /fhir/Appointment/:id/$cancel */
export const APPOINTMENT_CANCEL = fhirOperation(
  instanceOperationDefinition('Appointment', 'cancel', {
    description:
      'Cancels a booked appointment with a reason; the slot becomes free again. Returns the cancelled Appointment.',
    affectsState: true,
    parameter: [
      freeTextParameter('reason', 1),
      returnParameter('Appointment', 'The cancelled appointment'),
    ],
  }),
  {
    method: 'POST',
    platform: 'appointments',
    scope: 'system/Appointment.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Cancel an appointment (frees its slot)',
  },
);

/** Serves Appointment/{id}/$cancel: the appointments platform's cancelAppointment. */
export const cancelAppointment: OperationHandler<Appointment> = async (ctx, req, res) => {
  const p = await ctx.parameters(req, 'Appointment', 'operation:$cancel');
  return appointmentTransition(ctx, req, res, 'cancelAppointment', {
    reason: param(p, 'reason') ?? '',
  });
};
