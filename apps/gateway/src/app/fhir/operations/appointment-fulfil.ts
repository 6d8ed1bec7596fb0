import type { Appointment } from '@medplum/fhirtypes';

import { type OperationHandler, resourceSubject } from '../platform-fhir.controller';
import { appointmentTransition } from './appointment-transition';
import { fhirOperation, instanceOperationDefinition, returnParameter } from './fhir-operation';

/** POST /fhir/Appointment/:id/$fulfil */
export const APPOINTMENT_FULFIL = fhirOperation(
  instanceOperationDefinition('Appointment', 'fulfil', {
    description:
      'arrived → fulfilled, by the providing organisation. If-Match honoured (412 when stale); any other current status answers 409 naming it. Returns the Appointment.',
    affectsState: true,
    parameter: [returnParameter('Appointment', 'The fulfilled appointment')],
  }),
  {
    method: 'POST',
    platform: 'appointments',
    scope: 'system/Appointment.u',
    patientData: true,
    subject: resourceSubject,
    summary:
      'Record that the appointment took place (arrived → fulfilled; providing organisation only)',
  },
);

/** Serves Appointment/{id}/$fulfil: the appointments platform's markFulfilled. */
export const fulfilAppointment: OperationHandler<Appointment> = async (ctx, req, res) => {
  await ctx.parameters(req, 'Appointment', 'operation:$fulfil');
  return appointmentTransition(ctx, req, res, 'markFulfilled', {});
};
