import { resourceSubject } from '../platform-fhir.controller';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/Appointment/:id/$reschedule */
export const APPOINTMENT_RESCHEDULE = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'appointment-reschedule',
    name: 'reschedule',
    status: 'active',
    kind: 'operation',
    description:
      'Moves a booked appointment to another free Slot of the same providing organisation in one transaction: the new slot becomes busy, the old one free. If-Match W/"<version>" is honoured (412 when stale); an appointment that is not booked answers 409 naming its status. Returns the rescheduled Appointment.',
    affectsState: true,
    code: 'reschedule',
    resource: ['Appointment'],
    system: false,
    type: false,
    instance: true,
    parameter: [
      {
        name: 'slot',
        use: 'in',
        min: 1,
        max: '1',
        documentation: 'Slot/<id> of the new, free slot',
        type: 'Reference',
      },
      {
        name: 'reason',
        use: 'in',
        min: 0,
        max: '1',
        documentation: 'Free-text reason or note',
        type: 'string',
      },
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation: 'The rescheduled appointment',
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
    summary: 'Move a booked appointment to another free slot of the same provider (atomic)',
  },
);
