import { resourceSubject } from '../platform-fhir.controller';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/Appointment/:id/$no-show */
export const APPOINTMENT_NO_SHOW = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'appointment-no-show',
    name: 'no-show',
    status: 'active',
    kind: 'operation',
    description:
      'booked → noshow, by the providing organisation, once the slot has started (422 before). If-Match honoured (412 when stale); any other current status answers 409 naming it. Returns the Appointment.',
    affectsState: true,
    code: 'no-show',
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
        documentation: 'The no-show appointment',
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
    summary: 'Record that the patient did not attend (booked → noshow, once the slot has started)',
  },
);
