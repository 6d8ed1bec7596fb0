import { expectDomainError, rejectionOf, thrownBy } from './expect-refusal';

class ShopError extends Error {
  constructor(
    readonly code: 'SOLD_OUT' | 'CLOSED',
    message: string,
  ) {
    super(message);
  }
}

describe('expectDomainError', () => {
  it('returns the domain error when the code matches', async () => {
    const error = await expectDomainError(
      Promise.reject(new ShopError('SOLD_OUT', 'no bread left')),
      ShopError,
      'SOLD_OUT',
    );
    expect(error.message).toBe('no bread left');
  });

  it('fails when the call succeeds', async () => {
    await expect(expectDomainError(Promise.resolve('ok'), ShopError, 'CLOSED')).rejects.toThrow(
      'expected CLOSED, but the call succeeded',
    );
  });

  it('rethrows a failure that is not a domain error of that class', async () => {
    const other = new TypeError('boom');
    await expect(expectDomainError(Promise.reject(other), ShopError, 'CLOSED')).rejects.toBe(other);
  });
});

describe('rejectionOf / thrownBy', () => {
  const soldOut = new ShopError('SOLD_OUT', 'no bread left');

  it('return the error of the class, awaited or thrown', async () => {
    expect(await rejectionOf(Promise.reject(soldOut), ShopError)).toBe(soldOut);
    expect(
      thrownBy(() => {
        throw soldOut;
      }, ShopError),
    ).toBe(soldOut);
  });

  it('fail when the call succeeds', async () => {
    await expect(rejectionOf(Promise.resolve('ok'), ShopError)).rejects.toThrow(
      'expected a ShopError, but the call succeeded',
    );
    expect(() => thrownBy(() => 'ok', ShopError)).toThrow(
      'expected a ShopError, but the call succeeded',
    );
  });

  it('rethrow an error of another class', async () => {
    const other = new TypeError('boom');
    await expect(rejectionOf(Promise.reject(other), ShopError)).rejects.toBe(other);
    expect(() =>
      thrownBy(() => {
        throw other;
      }, ShopError),
    ).toThrow(other);
  });
});
