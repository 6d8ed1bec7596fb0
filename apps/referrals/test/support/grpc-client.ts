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

/** A plain grpc-js client (what a local system would use) for trellis.referrals.v1.ReferralService. */
export class ReferralsGrpcClient {
  private readonly client: Client & Record<string, Unary>;

  constructor(address: string) {
    const def = loadSync(protoPath('trellis/referrals/v1/referrals.proto'), {
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
      trellis: { referrals: { v1: { ReferralService: Ctor } } };
    };
    this.client = new pkg.trellis.referrals.v1.ReferralService(
      address,
      credentials.createInsecure(),
    );
  }

  /** Calls a method (e.g. 'SendReferral') with an optional bearer token (and further metadata). */
  call<T = Record<string, unknown>>(
    method: string,
    req: unknown,
    token?: string,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<T> {
    const fn = this.client[method.charAt(0).toLowerCase() + method.slice(1)];
    if (!fn) throw new Error(`no method ${method}`);
    const md = new Metadata();
    if (token) md.set('authorization', `Bearer ${token}`);
    withTestServiceIdentity(md); // as the gateway forwards it
    for (const [key, value] of Object.entries(headers)) md.set(key, value);
    return new Promise((resolve, reject) =>
      fn.call(this.client, req, md, (err, res) => (err ? reject(err) : resolve(res as T))),
    );
  }

  /** The call must fail: returns the decoded status (code, ErrorInfo reason, field violations). */
  async fail(
    method: string,
    req: unknown,
    token?: string,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<DecodedGrpcError> {
    try {
      await this.call(method, req, token, headers);
    } catch (e) {
      return decodeGrpcError(e as ServiceError);
    }
    throw new Error(`${method} succeeded but should have failed`);
  }

  close(): void {
    this.client.close();
  }
}
