import { resourceSubject } from '../platform-fhir.controller';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/Appointment/:id/$arrived */
export const APPOINTMENT_ARRIVED = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'appointment-arrived',
    name: 'arrived',
    status: 'active',
    kind: 'operation',
    description:
      'booked → arrived, by the providing organisation. If-Match honoured (412 when stale); any other current status answers 409 naming it. Returns the Appointment.',
    affectsState: true,
    code: 'arrived',
    resource: ['Appointment'],
    system: false,
    type: false,
    instance: true,
    parameter: [
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation: 'The arrived appointment',
        type: 'Appointment',
      },
    ],
  },
  {
    method: 'POST',
    platform: 'appointments',
    scope: 'system/Appointment.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Record that the patient has arrived (booked → arrived; providing organisation only)',
  },
);
