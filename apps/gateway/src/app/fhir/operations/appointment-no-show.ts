import { resourceSubject } from '../platform-fhir.controller';
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
