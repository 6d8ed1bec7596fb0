import { resourceSubject } from '../platform-fhir.controller';
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
