import { APPOINTMENTS_ERRORS } from '@trellis/contracts';
import { patientDirectoryErrorsOf } from '@trellis/identity-client';
import { codedErrorWithMetadata, type CodeOf } from '@trellis/service-kit';

/**
 * The appointments platform's domain error, built from its published error catalogue (every
 * refusal a stable code with its kind: platform ErrorKind → gRPC status, HTTP status, FHIR
 * outcome). The platform's exception filter maps it to a gRPC status with google.rpc.ErrorInfo
 * (reason = code, domain = trellis.appointments) and BadRequest field violations. `metadata` keeps
 * the machine-readable facts (slot id, current state) for in-process callers; the message always
 * states them too.
 */
export class AppointmentsError extends codedErrorWithMetadata(APPOINTMENTS_ERRORS) {}
export const AppointmentsErrorCode = AppointmentsError.codes;
export type AppointmentsErrorCode = CodeOf<typeof AppointmentsError>;

/** How @trellis/identity-client failures become AppointmentsErrors (the NHS number goes in metadata). */
export const patientDirectoryErrors = patientDirectoryErrorsOf(AppointmentsError);
