import { withTestServiceIdentity } from '@trellis/auth';
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  type Client,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath, PROTO_ROOT } from '@trellis/contracts';
import { decodeGrpcError, type DecodedGrpcError } from '@trellis/platform';

type Unary = (
  req: unknown,
  md: Metadata,
  cb: (err: ServiceError | null, res: unknown) => void,
) => void;

/** A plain grpc-js client (as the gateway calls it) for trellis.audit.v1.AuditService. */
export class AuditGrpcClient {
  private readonly client: Client & Record<string, Unary>;

  constructor(address: string) {
    const def = loadSync(protoPath('trellis/audit/v1/audit.proto'), {
      includeDirs: [PROTO_ROOT],
      keepCase: false,
      longs: Number,
      enums: Number,
      defaults: true,
      oneofs: true,
    });
    type Ctor = new (
      a: string,
      c: ReturnType<typeof credentials.createInsecure>,
    ) => Client & Record<string, Unary>;
    const pkg = loadPackageDefinition(def) as unknown as {
      trellis: { audit: { v1: { AuditService: Ctor } } };
    };
    this.client = new pkg.trellis.audit.v1.AuditService(address, credentials.createInsecure());
  }

  /** Calls an AuditService method (e.g. 'SearchAccessEvents') with an optional bearer token. */
  call<T = Record<string, unknown>>(
    method: string,
    req: unknown,
    token?: string,
    asGateway = true,
  ): Promise<T> {
    const fn = this.client[method.charAt(0).toLowerCase() + method.slice(1)];
    if (!fn) throw new Error(`no method ${method}`);
    const md = new Metadata();
    if (token) md.set('authorization', `Bearer ${token}`);
    if (asGateway) withTestServiceIdentity(md); // as the gateway forwards it
    return new Promise((resolve, reject) =>
      fn.call(this.client, req, md, (err, res) => (err ? reject(err) : resolve(res as T))),
    );
  }

  /** The call must fail: returns the decoded status (code, ErrorInfo reason, field violations). */
  async fail(
    method: string,
    req: unknown,
    token?: string,
    asGateway = true,
  ): Promise<DecodedGrpcError> {
    try {
      await this.call(method, req, token, asGateway);
    } catch (e) {
      return decodeGrpcError(e as ServiceError);
    }
    throw new Error(`${method} succeeded but should have failed`);
  }

  close(): void {
    this.client.close();
  }
}

export function ts(d: Date): { seconds: number; nanos: number } {
  return { seconds: Math.floor(d.getTime() / 1000), nanos: (d.getTime() % 1000) * 1_000_000 };
}
