import { expectDomainError } from '@trellis/testing';

import { ReferralsError, type ReferralsErrorCode } from '../../src/app/domain/referrals.errors';

/** Awaits a promise that must fail with the given domain code; returns the error for more checks. */
export const expectRefusal = (
  p: Promise<unknown>,
  code: ReferralsErrorCode,
): Promise<ReferralsError> => expectDomainError(p, ReferralsError, code);
