// The journey's gRPC calls, through typed clients generated from proto/ (a renamed RPC or field
// fails the typecheck): the gateway's own services, and the platforms through its front door.
import { status } from '@grpc/grpc-js';
import { gateway, results } from '@trellis/contracts';
import {
  grpcChannel,
  typedClient,
  type DecodedGrpcError,
  type ForwardCallOptions,
  type TypedClient,
} from '@trellis/service-kit';
import type { Channel } from 'nice-grpc';

import type { JourneyConfig } from './config';

export class GrpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details: unknown,
  ) {
    super(message);
  }
}

const DEADLINE_MS = 15_000;

export interface JourneyGrpc {
  systems: TypedClient<typeof gateway.v1.ConnectedSystemServiceDefinition>;
  authority: TypedClient<typeof gateway.v1.RegionalAuthorityServiceDefinition>;
  /** ReportService through the gateway's front door. */
  reports: TypedClient<typeof results.v1.ReportServiceDefinition>;
  close(): void;
}

/** The per-call options of a call made with `token`. */
export const as = (token: string): ForwardCallOptions => ({
  forward: { authorization: `Bearer ${token}` },
});

export function journeyGrpc(cfg: JourneyConfig): JourneyGrpc {
  const channels: Channel[] = [];
  const channel = (address: string): Channel => {
    const c = grpcChannel(address);
    channels.push(c);
    return c;
  };
  const options = {
    deadlineMs: DEADLINE_MS,
    toError: (d: DecodedGrpcError) =>
      new GrpcError(d.code, `${status[d.code] ?? d.code}: ${d.message}`, d),
  };
  const gatewayChannel = channel(cfg.gatewayGrpc);
  return {
    systems: typedClient(gateway.v1.ConnectedSystemServiceDefinition, gatewayChannel, options),
    authority: typedClient(gateway.v1.RegionalAuthorityServiceDefinition, gatewayChannel, options),
    reports: typedClient(results.v1.ReportServiceDefinition, channel(cfg.frontDoorGrpc), options),
    close: () => channels.forEach((c) => c.close()),
  };
}
