import { resourceSubject } from '../platform-fhir.controller';
import {
  fhirOperation,
  freeTextParameter,
  instanceOperationDefinition,
  returnParameter,
} from './fhir-operation';

/** POST /fhir/Appointment/:id/$cancel */
export const APPOINTMENT_CANCEL = fhirOperation(
  instanceOperationDefinition('Appointment', 'cancel', {
    description:
      'Cancels a booked appointment with a reason; the slot becomes free again. Returns the cancelled Appointment.',
    affectsState: true,
    parameter: [
      freeTextParameter('reason', 1),
      returnParameter('Appointment', 'The cancelled appointment'),
    ],
  }),
  {
    method: 'POST',
    platform: 'appointments',
    scope: 'system/Appointment.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Cancel an appointment (frees its slot)',
  },
);
