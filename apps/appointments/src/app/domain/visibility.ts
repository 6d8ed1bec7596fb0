import type { PatientStanding } from '@trellis/identity-client';

/** The parts of an appointment that decide who may see it. */
export interface AppointmentParties {
  /** Providing organisation (schedule owner). */
  odsCode: string;
  /** Organisation that booked it. */
  bookingOdsCode: string;
}

/** The providing organisation and the booking organisation see an appointment. */
export function isParty(a: AppointmentParties, callerOdsCode: string): boolean {
  return a.odsCode === callerOdsCode || a.bookingOdsCode === callerOdsCode;
}

/**
 * Shared care record: the patient's current registered GP practice sees the patient's
 * appointments too. The practice is the one identity's GetPatient showed to this caller; a GP
 * registration that is absent or withheld (restricted record, caller without
 * trellis/restricted.read) never matches, nor does a merged or unknown number.
 */
export function isRegisteredGp(standing: PatientStanding, callerOdsCode: string): boolean {
  if (standing.kind !== 'active' && standing.kind !== 'deceased') return false;
  return (
    standing.gpOdsCode !== undefined &&
    standing.gpOdsCode !== '' &&
    standing.gpOdsCode === callerOdsCode
  );
}
