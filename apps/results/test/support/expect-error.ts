import { ResultsError, ResultsErrorCode } from '../../src/app/domain/results.errors';

/** Awaits a promise that must fail with the given domain code; returns the error for more checks. */
export async function expectRefusal(
  p: Promise<unknown>,
  code: ResultsErrorCode,
): Promise<ResultsError> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof ResultsError)) throw e;
    expect(e.code).toBe(code);
    return e;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}
