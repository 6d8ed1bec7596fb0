import type { Appointment } from '@medplum/fhirtypes';

import { type OperationHandler, resourceSubject } from '../platform-fhir.controller';
import { appointmentTransition } from './appointment-transition';
import { fhirOperation, instanceOperationDefinition, returnParameter } from './fhir-operation';

/** POST /fhir/Appointment/:id/$no-show */
export const APPOINTMENT_NO_SHOW = fhirOperation(
  instanceOperationDefinition('Appointment', 'no-show', {
    description:
      'booked → noshow, by the providing organisation, once the slot has started (422 before). If-Match honoured (412 when stale); any other current status answers 409 naming it. Returns the Appointment.',
    affectsState: true,
    parameter: [returnParameter('Appointment', 'The no-show appointment')],
  }),
  {
    method: 'POST',
    platform: 'appointments',
    scope: 'system/Appointment.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Record that the patient did not attend (booked → noshow, once the slot has started)',
  },
);

/** Serves Appointment/{id}/$no-show: the appointments platform's markNoShow. */
export const noShowAppointment: OperationHandler<Appointment> = async (ctx, req, res) => {
  await ctx.parameters(req, 'Appointment', 'operation:$no-show');
  return appointmentTransition(ctx, req, res, 'markNoShow', {});
};
