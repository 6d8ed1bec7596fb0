import { forwardedTestKit } from '@trellis/auth/testing';
import { audit } from '@trellis/contracts';
import type { DecodedGrpcError, ForwardCallOptions } from '@trellis/service-kit';
import { TypedTestClients } from '@trellis/testing';

/**
 * Typed clients of the AuditService (generated from proto/: a renamed RPC or field fails the
 * typecheck): `audit` calls as the gateway forwards a caller (its bearer token plus the gateway's
 * service token); `unvouched` calls with the bearer token alone, as no service may.
 */
export class AuditGrpcClient extends TypedTestClients<ForwardCallOptions, DecodedGrpcError> {
  readonly audit = this.client(audit.v1.AuditServiceDefinition);
  readonly unvouched = this.client(
    audit.v1.AuditServiceDefinition,
    forwardedTestKit({ serviceIdentity: false }),
  );

  constructor(address: string) {
    super(address, forwardedTestKit(), audit.v1);
  }
}
