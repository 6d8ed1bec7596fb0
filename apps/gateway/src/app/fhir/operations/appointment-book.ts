import { resourceSubject } from '../platform-fhir.controller';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/Appointment/$book */
export const APPOINTMENT_BOOK = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'appointment-book',
    name: 'book',
    status: 'active',
    kind: 'operation',
    description:
      'Books a free Slot for a Patient. Parameters: slot (Slot/<id>), patient (Patient/<NHS number>), idempotency-key, optional referral (ServiceRequest/<id>). Returns the booked Appointment; a replay with the same key returns the same booking.',
    affectsState: true,
    code: 'book',
    resource: ['Appointment'],
    system: false,
    type: true,
    instance: false,
    parameter: [
      {
        name: 'slot',
        use: 'in',
        min: 1,
        max: '1',
        documentation: 'Slot/<id>',
        type: 'Reference',
      },
      {
        name: 'patient',
        use: 'in',
        min: 1,
        max: '1',
        documentation: 'Patient/<NHS number>',
        type: 'Reference',
      },
      {
        name: 'idempotency-key',
        use: 'in',
        min: 1,
        max: '1',
        documentation: 'Unique per booking organisation (8..128 chars)',
        type: 'string',
      },
      {
        name: 'referral',
        use: 'in',
        min: 0,
        max: '1',
        documentation: 'ServiceRequest/<id>',
        type: 'Reference',
      },
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation: 'The booked appointment',
        type: 'Appointment',
      },
    ],
  },
  {
    method: 'POST',
    platform: 'appointments',
    scope: 'system/Appointment.c',
    patientData: true,
    subject: resourceSubject,
    summary: 'Book a free slot for a patient (idempotent per booking organisation)',
  },
);
