import { expectDomainError } from '@trellis/testing';

import {
  AppointmentsError,
  type AppointmentsErrorCode,
} from '../../src/app/domain/appointments.errors';

/** Awaits a promise that must fail with the given domain code; returns the error for more checks. */
export const expectRefusal = (
  p: Promise<unknown>,
  code: AppointmentsErrorCode,
): Promise<AppointmentsError> => expectDomainError(p, AppointmentsError, code);
