import type { Metadata } from '@grpc/grpc-js';
import { requireCaller, VOUCH_HEADER, type Caller } from '@trellis/auth';

import type { CallContext } from '../referrals/referrals.service';

function first(md: Metadata | undefined, key: string): string | undefined {
  const v = md?.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}

/** The authenticated caller (set by the global auth guard) and what to forward downstream. */
export function callOf(metadata: Metadata | undefined): { caller: Caller; ctx: CallContext } {
  const caller = requireCaller(metadata);
  return {
    caller,
    ctx: {
      authorization: first(metadata, 'authorization'),
      correlationId: first(metadata, 'x-correlation-id') ?? caller.tokenId,
      // identity's patient check serves on the gateway's vouch while its feed is down (issue 22)
      vouch: first(metadata, VOUCH_HEADER),
    },
  };
}
