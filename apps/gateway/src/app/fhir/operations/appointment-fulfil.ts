import { resourceSubject } from '../platform-fhir.controller';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/Appointment/:id/$fulfil */
export const APPOINTMENT_FULFIL = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'appointment-fulfil',
    name: 'fulfil',
    status: 'active',
    kind: 'operation',
    description:
      'arrived → fulfilled, by the providing organisation. If-Match honoured (412 when stale); any other current status answers 409 naming it. Returns the Appointment.',
    affectsState: true,
    code: 'fulfil',
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
        documentation: 'The fulfilled appointment',
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
    summary:
      'Record that the appointment took place (arrived → fulfilled; providing organisation only)',
  },
);
