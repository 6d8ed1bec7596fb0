/**
 * Awaits a promise that must fail with a domain error of `errorClass` carrying `code`; returns the
 * error for more checks. Any other failure is rethrown as it is; success fails the test.
 */
export async function expectDomainError<C, E extends Error & { code: C }>(
  p: Promise<unknown>,
  errorClass: new (...args: never[]) => E,
  code: C,
): Promise<E> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof errorClass)) throw e;
    expect(e.code).toBe(code);
    return e;
  }
  throw new Error(`expected ${String(code)}, but the call succeeded`);
}

/**
 * Awaits a promise that must fail with an error of `errorClass`; returns the error for the test's
 * checks. Any other failure is rethrown as it is; success fails the test.
 */
export async function rejectionOf<E extends Error>(
  p: Promise<unknown>,
  errorClass: new (...args: never[]) => E,
): Promise<E> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof errorClass)) throw e;
    return e;
  }
  throw new Error(`expected a ${errorClass.name}, but the call succeeded`);
}

/** As rejectionOf, for a call that must throw an error of `errorClass` synchronously. */
export function thrownBy<E extends Error>(
  fn: () => unknown,
  errorClass: new (...args: never[]) => E,
): E {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof errorClass)) throw e;
    return e;
  }
  throw new Error(`expected a ${errorClass.name}, but the call succeeded`);
}
