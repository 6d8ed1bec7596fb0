import { resourceSubject } from '../platform-fhir.controller';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/Appointment/:id/$cancel */
export const APPOINTMENT_CANCEL = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'appointment-cancel',
    name: 'cancel',
    status: 'active',
    kind: 'operation',
    description:
      'Cancels a booked appointment with a reason; the slot becomes free again. Returns the cancelled Appointment.',
    affectsState: true,
    code: 'cancel',
    resource: ['Appointment'],
    system: false,
    type: false,
    instance: true,
    parameter: [
      {
        name: 'reason',
        use: 'in',
        min: 1,
        max: '1',
        documentation: 'Free-text reason or note',
        type: 'string',
      },
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation: 'The cancelled appointment',
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
    summary: 'Cancel an appointment (frees its slot)',
  },
);
