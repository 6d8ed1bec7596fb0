import { expectDomainError } from './expect-refusal';

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
