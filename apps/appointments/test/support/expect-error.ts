import { AppointmentsError, AppointmentsErrorCode } from '../../src/app/domain/appointments.errors';

/** Awaits a promise that must fail with the given domain code; returns the error for more checks. */
export async function expectRefusal(
  p: Promise<unknown>,
  code: AppointmentsErrorCode,
): Promise<AppointmentsError> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof AppointmentsError)) throw e;
    expect(e.code).toBe(code);
    return e;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}
