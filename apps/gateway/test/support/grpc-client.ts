import { forwardedTestKit } from '@trellis/auth/testing';
import { gateway } from '@trellis/contracts';
import {
  GrpcCallError,
  type DecodedGrpcError,
  type ForwardCallOptions,
} from '@trellis/service-kit';
import { TypedTestClients } from '@trellis/testing';

/**
 * Typed clients of the gateway's own gRPC services (generated from proto/: a renamed RPC or field
 * fails the typecheck), calling as an external caller does: its bearer token, no service token.
 */
export class GatewayGrpcClient extends TypedTestClients<ForwardCallOptions, DecodedGrpcError> {
  readonly systems = this.client(gateway.v1.ConnectedSystemServiceDefinition);
  readonly products = this.client(gateway.v1.ProductServiceDefinition);
  readonly certification = this.client(gateway.v1.CertificationServiceDefinition);

  constructor(address: string) {
    super(address, forwardedTestKit({ serviceIdentity: false }), gateway.v1);
  }

  /** Call options presenting `value` as the authorization header as it stands (malformed ones too). */
  rawAuthorization(value: string): ForwardCallOptions {
    return { forward: { headers: { authorization: value } } };
  }
}

/** A typed client of the gateway's admin services at `address`. */
export function adminClient(address: string): GatewayGrpcClient {
  return new GatewayGrpcClient(address);
}

/** The status code a call ends with ('OK' when it succeeds). */
export async function grpcCode(p: Promise<unknown>): Promise<number | 'OK'> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    if (e instanceof GrpcCallError) return e.decoded.code;
    throw e;
  }
}
