import type { Appointment } from '@medplum/fhirtypes';

import { type OperationHandler, resourceSubject } from '../platform-fhir.controller';
import { appointmentTransition } from './appointment-transition';
import { fhirOperation, instanceOperationDefinition, returnParameter } from './fhir-operation';

/** POST /fhir/Appointment/:id/$arrived */
export const APPOINTMENT_ARRIVED = fhirOperation(
  instanceOperationDefinition('Appointment', 'arrived', {
    description:
      'booked → arrived, by the providing organisation. If-Match honoured (412 when stale); any other current status answers 409 naming it. Returns the Appointment.',
    affectsState: true,
    parameter: [returnParameter('Appointment', 'The arrived appointment')],
  }),
  {
    method: 'POST',
    platform: 'appointments',
    scope: 'system/Appointment.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Record that the patient has arrived (booked → arrived; providing organisation only)',
  },
);

/** Serves Appointment/{id}/$arrived: the appointments platform's markArrived. */
export const arrivedAppointment: OperationHandler<Appointment> = async (ctx, req, res) => {
  await ctx.parameters(req, 'Appointment', 'operation:$arrived');
  return appointmentTransition(ctx, req, res, 'markArrived', {});
};
