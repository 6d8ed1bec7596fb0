// A typed client of trellis.gateway.v1.RegionalAuthorityService for the regional specs (generated
// from proto/: a renamed RPC or field fails the typecheck): calls with a bearer token; a refusal
// resolves to its status name (e.g. PERMISSION_DENIED).
import { status } from '@grpc/grpc-js';
import { forwardedTestKit } from '@trellis/auth/testing';
import { gateway } from '@trellis/contracts';
import {
  GrpcCallError,
  type DecodedGrpcError,
  type ForwardCallOptions,
} from '@trellis/service-kit';
import { TypedTestClients } from '@trellis/testing';
import type { Client } from 'nice-grpc';

/** The regional service's typed client, as one caller (its token on every call). */
export type RegionalAuthority = Client<
  typeof gateway.v1.RegionalAuthorityServiceDefinition,
  ForwardCallOptions
>;

export type GrpcAnswer<T> =
  { ok: true; body: T } | { ok: false; status: string; message: string; error: GrpcCallError };

export class RegionalGrpc extends TypedTestClients<ForwardCallOptions, DecodedGrpcError> {
  constructor(address: string) {
    super(address, forwardedTestKit({ serviceIdentity: false }), gateway.v1);
  }

  /** The regional service as the caller presenting `token`. */
  by(token: string): RegionalAuthority {
    return this.clientAs(gateway.v1.RegionalAuthorityServiceDefinition, Promise.resolve(token));
  }

  /** The answer of `call` made as the caller presenting `token`, or the refusal's status name. */
  async answer<T>(
    token: string,
    call: (client: RegionalAuthority) => Promise<T>,
  ): Promise<GrpcAnswer<T>> {
    try {
      return { ok: true, body: await call(this.by(token)) };
    } catch (e) {
      if (!(e instanceof GrpcCallError)) throw e;
      const { code, message } = e.decoded;
      return { ok: false, status: status[code] ?? String(code), message, error: e };
    }
  }
}

export function regionalGrpc(address: string): RegionalGrpc {
  return new RegionalGrpc(address);
}
