import * as grpc from '@grpc/grpc-js';
import {
  DOOR_HEADER,
  FHIR_DOOR_AUDITED,
  withServiceToken,
  type ServiceIdentity,
} from '@trellis/auth';
import {
  decodeGrpcError,
  loadProtoPackageDefinition,
  type DecodedGrpcError,
} from '@trellis/platform';

import { type PlatformName } from './fhir.config';

/** What a FHIR request forwards to the platforms: the caller's token and trace context. */
export interface ForwardContext {
  authorization?: string;
  traceparent?: string;
  tracestate?: string;
  correlationId?: string;
  userId?: string;
  /** The gateway audits this FHIR interaction itself: the platform writes no second record. */
  auditedByGateway?: boolean;
}

/** A platform call that failed: the decoded rich error (or a transport failure). */
export class PlatformCallError extends Error {
  constructor(
    readonly platform: PlatformName,
    readonly method: string,
    readonly decoded: DecodedGrpcError,
  ) {
    super(`${platform} ${method}: ${decoded.message}`);
    this.name = 'PlatformCallError';
  }
}

type Unary = (
  req: unknown,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: unknown) => void,
) => grpc.ClientUnaryCall;

const SERVICES: Record<PlatformName, { proto: string; services: string[] }> = {
  identity: {
    proto: 'trellis/identity/v1/identity.proto',
    services: ['trellis.identity.v1.PatientService'],
  },
  appointments: {
    proto: 'trellis/appointments/v1/appointments.proto',
    services: [
      'trellis.appointments.v1.ScheduleService',
      'trellis.appointments.v1.AppointmentService',
    ],
  },
  referrals: {
    proto: 'trellis/referrals/v1/referrals.proto',
    services: ['trellis.referrals.v1.ReferralService'],
  },
  results: {
    proto: 'trellis/results/v1/results.proto',
    services: ['trellis.results.v1.ReportService'],
  },
  audit: {
    proto: 'trellis/audit/v1/audit.proto',
    services: ['trellis.audit.v1.AuditService'],
  },
};

function lookup(root: unknown, fullName: string): unknown {
  return fullName
    .split('.')
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], root);
}

/**
 * Plain grpc-js clients for the platforms (one channel per platform, shared by every request).
 * Every call carries a deadline, the caller's bearer token, traceparent and correlation id.
 */
export class PlatformClients {
  private readonly stubs = new Map<string, grpc.Client & Record<string, Unary>>();

  constructor(
    private readonly addresses: Partial<Record<PlatformName, string>>,
    private readonly defaultDeadlineMs: number,
    /** The gateway's service identity: platforms accept only the gateway and their peers. */
    private readonly serviceIdentity?: ServiceIdentity,
  ) {
    for (const [platform, address] of Object.entries(addresses) as Array<[PlatformName, string]>) {
      const spec = SERVICES[platform];
      const loaded = grpc.loadPackageDefinition(loadProtoPackageDefinition([spec.proto]));
      for (const service of spec.services) {
        const Ctor = lookup(loaded, service) as
          | (new (
              addr: string,
              creds: grpc.ChannelCredentials,
              opts?: grpc.ChannelOptions,
            ) => grpc.Client & Record<string, Unary>)
          | undefined;
        if (!Ctor) continue; // platform proto not (yet) defining this service
        this.stubs.set(
          service,
          new Ctor(address, grpc.credentials.createInsecure(), {
            'grpc.keepalive_time_ms': 30_000,
          }),
        );
      }
    }
  }

  has(platform: PlatformName): boolean {
    return this.addresses[platform] !== undefined;
  }

  /** Unary call `service` (full name) / `method` (UpperCamel). */
  call<Res>(
    platform: PlatformName,
    service: string,
    method: string,
    request: unknown,
    ctx: ForwardContext,
    deadlineMs = this.defaultDeadlineMs,
  ): Promise<Res> {
    const stub = this.stubs.get(service);
    const fnName = method.charAt(0).toLowerCase() + method.slice(1);
    const fn = stub?.[fnName];
    if (!stub || !fn) {
      return Promise.reject(
        new PlatformCallError(platform, method, {
          code: grpc.status.UNIMPLEMENTED,
          message: `${platform} is not connected to this gateway`,
          fieldViolations: [],
        }),
      );
    }
    const md = new grpc.Metadata();
    if (ctx.authorization) md.set('authorization', ctx.authorization);
    if (ctx.traceparent) md.set('traceparent', ctx.traceparent);
    if (ctx.tracestate) md.set('tracestate', ctx.tracestate);
    if (ctx.correlationId) md.set('x-correlation-id', ctx.correlationId);
    if (ctx.userId) md.set('x-trellis-user', ctx.userId);
    if (ctx.auditedByGateway) md.set(DOOR_HEADER, FHIR_DOOR_AUDITED);
    withServiceToken(md, this.serviceIdentity);
    return new Promise<Res>((resolve, reject) => {
      fn.call(stub, request, md, { deadline: Date.now() + deadlineMs }, (err, res) => {
        if (err) reject(new PlatformCallError(platform, method, decodeGrpcError(err)));
        else resolve(res as Res);
      });
    });
  }

  close(): void {
    for (const stub of this.stubs.values()) stub.close();
  }
}
