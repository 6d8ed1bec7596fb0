import { forwardedTestKit } from '@trellis/auth/testing';
import { referrals } from '@trellis/contracts';
import type { DecodedGrpcError, ForwardCallOptions } from '@trellis/service-kit';
import { TypedTestClients } from '@trellis/testing';

/**
 * A typed client of the ReferralService (generated from proto/: a renamed RPC or field fails the
 * typecheck), calling as the gateway forwards a local system's call: its bearer token (and further
 * metadata, `as(token, headers)`) plus the gateway's service token.
 */
export class ReferralsGrpcClient extends TypedTestClients<ForwardCallOptions, DecodedGrpcError> {
  readonly referrals = this.client(referrals.v1.ReferralServiceDefinition);

  constructor(address: string) {
    super(address, forwardedTestKit(), referrals.v1);
  }
}

/** A SendReferral request as a test writes it (any field may be left out, as on the wire). */
export type SendReferralInput = Parameters<ReferralsGrpcClient['referrals']['sendReferral']>[0];
