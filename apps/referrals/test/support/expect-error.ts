import { ReferralsError, ReferralsErrorCode } from '../../src/app/domain/referrals.errors';

/** Awaits a promise that must fail with the given domain code; returns the error for more checks. */
export async function expectRefusal(
  p: Promise<unknown>,
  code: ReferralsErrorCode,
): Promise<ReferralsError> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof ReferralsError)) throw e;
    expect(e.code).toBe(code);
    return e;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}
