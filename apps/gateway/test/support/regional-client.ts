// A plain gRPC client of trellis.gateway.v1.RegionalAuthorityService for the regional specs: calls
// with a bearer token; a refusal resolves to its status name (e.g. PERMISSION_DENIED).
import { join } from 'node:path';

import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_ROOT } from '@trellis/contracts';

type Unary = (
  req: unknown,
  md: Metadata,
  cb: (e: ServiceError | null, r?: unknown) => void,
) => void;

export type GrpcAnswer<T> =
  { ok: true; body: T } | { ok: false; status: string; message: string; error: ServiceError };

export interface RegionalGrpc {
  /** The answer, or the refusal's status name. */
  call<T = Record<string, unknown>>(
    method: string,
    req: unknown,
    token: string,
  ): Promise<GrpcAnswer<T>>;
  close(): void;
}

export function regionalGrpc(address: string): RegionalGrpc {
  const def = loadSync(join(PROTO_ROOT, 'trellis/gateway/v1/gateway.proto'), {
    includeDirs: [PROTO_ROOT],
    longs: Number,
    defaults: true,
    oneofs: true,
  });
  const pkg = loadPackageDefinition(def) as unknown as {
    trellis: {
      gateway: {
        v1: {
          RegionalAuthorityService: new (
            a: string,
            c: unknown,
          ) => Record<string, Unary> & { close(): void };
        };
      };
    };
  };
  const client = new pkg.trellis.gateway.v1.RegionalAuthorityService(
    address,
    credentials.createInsecure(),
  );
  return {
    call<T>(method: string, req: unknown, token: string): Promise<GrpcAnswer<T>> {
      const md = new Metadata();
      md.set('authorization', `Bearer ${token}`);
      const fn = client[method.charAt(0).toLowerCase() + method.slice(1)]!;
      return new Promise<GrpcAnswer<T>>((resolve) =>
        fn.call(client, req, md, (e, r) =>
          resolve(
            e
              ? {
                  ok: false,
                  status: status[e.code] ?? String(e.code),
                  message: e.details,
                  error: e,
                }
              : { ok: true, body: r as T },
          ),
        ),
      );
    },
    close: () => client.close(),
  };
}
