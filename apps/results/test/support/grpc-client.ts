import { withTestServiceIdentity } from '@trellis/auth';
import { results } from '@trellis/contracts';
import {
  GrpcCallError,
  grpcChannel,
  typedClient,
  type DecodedGrpcError,
  type ForwardCallOptions,
  type TypedClient,
} from '@trellis/platform';
import type { Channel, CompatServiceDefinition } from 'nice-grpc';

/** A failed call, with its status code where grpc-js's ServiceError has it (racing callers read it). */
export class ResultsCallError extends GrpcCallError {
  readonly code = this.decoded.code;
}

/**
 * A typed client of the results ReportService (generated from proto/: a renamed RPC or field fails
 * the typecheck), calling as the gateway forwards a local system's call: its bearer token plus the
 * gateway's service token.
 */
export class ResultsGrpcClient {
  readonly reports: TypedClient<typeof results.v1.ReportServiceDefinition>;
  private readonly channel: Channel;

  constructor(address: string) {
    this.channel = grpcChannel(address);
    this.reports = typedClient(results.v1.ReportServiceDefinition, this.channel, {
      deadlineMs: 30_000,
      outgoing: withTestServiceIdentity,
      toError: (decoded, method) => new ResultsCallError(method, decoded),
    });
  }

  /** The call options of a caller presenting `token` (none: an unauthenticated call). */
  as(token?: string): ForwardCallOptions {
    return token ? { forward: { authorization: `Bearer ${token}` } } : {};
  }

  /**
   * A method by its full path (`/trellis.results.v1.AppointmentService/BookAppointment`, as
   * the scope matrix names it), for tests that walk every method of every results service
   * (services added to the proto are found too); `undefined` if no such method.
   */
  method(path: string): ((options: ForwardCallOptions) => Promise<unknown>) | undefined {
    for (const definition of Object.values(results.v1)) {
      if (!isServiceDefinition(definition)) continue;
      for (const [key, m] of Object.entries(definition.methods)) {
        if (`/${definition.fullName}/${m.name}` !== path) continue;
        const client: Record<string, unknown> = typedClient(definition, this.channel, {
          deadlineMs: 30_000,
          outgoing: withTestServiceIdentity,
        });
        const call = client[key];
        if (typeof call !== 'function') return undefined;
        return (options) => Promise.resolve(call.call(client, {}, options));
      }
    }
    return undefined;
  }

  /** The call must fail: returns the decoded status (code, ErrorInfo reason, field violations). */
  async fail(call: Promise<unknown>): Promise<DecodedGrpcError> {
    try {
      await call;
    } catch (e) {
      if (e instanceof GrpcCallError) return e.decoded;
      throw e;
    }
    throw new Error('the call succeeded but should have failed');
  }

  close(): void {
    this.channel.close();
  }
}

function isServiceDefinition(value: unknown): value is CompatServiceDefinition & {
  fullName: string;
  methods: Record<string, { name: string }>;
} {
  return typeof value === 'object' && value !== null && 'fullName' in value && 'methods' in value;
}

export function ts(d: Date): { seconds: number; nanos: number } {
  return { seconds: Math.floor(d.getTime() / 1000), nanos: (d.getTime() % 1000) * 1_000_000 };
}
