import {
  DOOR_HEADER,
  FHIR_DOOR_AUDITED,
  VOUCH_HEADER,
  withServiceToken,
  type GatewayVouchSigner,
  type ServiceIdentity,
  type VouchBasis,
} from '@trellis/auth';
import { appointments, audit, identity, records, referrals, results } from '@trellis/contracts';
import {
  grpcChannel,
  typedClient,
  type DecodedGrpcError,
  type ForwardContext as PlatformForwardContext,
  type TypedClient,
  type TypedUnaryMethod,
} from '@trellis/service-kit';
import { status } from '@grpc/grpc-js';
import {
  createChannel,
  createClientFactory,
  type Channel,
  type CompatServiceDefinition,
} from 'nice-grpc';

import { type PlatformName } from './fhir.config';

/** What a FHIR request forwards to the platforms: the caller's token and trace context. */
export interface ForwardContext extends Omit<PlatformForwardContext, 'headers'> {
  /** The gateway audits this FHIR interaction itself: the platform writes no second record. */
  auditedByGateway?: boolean;
  /** What the guard checked of the caller: each platform call carries a vouch minted from it. */
  vouch?: VouchBasis;
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

/** The caller's context as the forwarding middleware sends it. */
export function platformForward(
  ctx: ForwardContext,
  vouches?: GatewayVouchSigner,
): PlatformForwardContext {
  const { auditedByGateway, vouch, ...rest } = ctx;
  const forward: PlatformForwardContext = auditedByGateway
    ? { ...rest, headers: { [DOOR_HEADER]: FHIR_DOOR_AUDITED } }
    : rest;
  // a platform whose suspension feed is down serves the calls the gateway vouches for (issue 22)
  if (vouch && vouches)
    forward.peerHeaders = (peer) => ({ [VOUCH_HEADER]: vouches.mint(peer, vouch) });
  return forward;
}

/**
 * Typed clients of the platforms (nice-grpc over the generated service definitions; one channel
 * per platform, shared by every request). Every call carries a deadline, the caller's bearer token,
 * traceparent and correlation id, and the gateway's service token; a failure rejects with a
 * PlatformCallError carrying the decoded rich error.
 */
export class PlatformClients {
  readonly patients: TypedClient<identity.v1.PatientServiceDefinition>;
  /** The record locator (DocumentReference pointers), served by identity. */
  readonly records: TypedClient<records.v1.RecordLocatorServiceDefinition>;
  readonly schedules: TypedClient<appointments.v1.ScheduleServiceDefinition>;
  readonly appointments: TypedClient<appointments.v1.AppointmentServiceDefinition>;
  readonly referrals: TypedClient<referrals.v1.ReferralServiceDefinition>;
  readonly reports: TypedClient<results.v1.ReportServiceDefinition>;
  readonly audit: TypedClient<audit.v1.AuditServiceDefinition>;
  /** Bulk export's sources (not on the front door): every record of a batch of patients. */
  readonly referralExport: TypedClient<referrals.v1.ReferralExportServiceDefinition>;
  readonly appointmentExport: TypedClient<appointments.v1.AppointmentExportServiceDefinition>;
  readonly reportExport: TypedClient<results.v1.ReportExportServiceDefinition>;
  private readonly channels = new Map<PlatformName, Channel>();
  /**
   * The connected clients' unary methods go on grpc-js directly (service-kit's direct-unary.ts,
   * issue 23); read at each call, so a bench can alternate them with nice-grpc in one run.
   */
  private direct = true;

  constructor(
    private readonly addresses: Partial<Record<PlatformName, string>>,
    private readonly defaultDeadlineMs: number,
    /** The gateway's service identity: platforms accept only the gateway and their peers. */
    private readonly serviceIdentity?: ServiceIdentity,
    /** Signs the per-call vouch of the caller's checked status. */
    private readonly vouches?: GatewayVouchSigner,
  ) {
    this.patients = this.client('identity', identity.v1.PatientServiceDefinition);
    this.records = this.client('identity', records.v1.RecordLocatorServiceDefinition);
    this.schedules = this.client('appointments', appointments.v1.ScheduleServiceDefinition);
    this.appointments = this.client('appointments', appointments.v1.AppointmentServiceDefinition);
    this.referrals = this.client('referrals', referrals.v1.ReferralServiceDefinition);
    this.reports = this.client('results', results.v1.ReportServiceDefinition);
    this.audit = this.client('audit', audit.v1.AuditServiceDefinition);
    this.referralExport = this.client('referrals', referrals.v1.ReferralExportServiceDefinition);
    this.appointmentExport = this.client(
      'appointments',
      appointments.v1.AppointmentExportServiceDefinition,
    );
    this.reportExport = this.client('results', results.v1.ReportExportServiceDefinition);
  }

  has(platform: PlatformName): boolean {
    return this.addresses[platform] !== undefined;
  }

  /** Calls a platform method with the caller's context (and a deadline other than the default). */
  call<Req, Res>(
    method: TypedUnaryMethod<Req, Res>,
    request: NoInfer<Req>,
    ctx: ForwardContext,
    deadlineMs?: number,
  ): Promise<Res> {
    return method(request, { forward: platformForward(ctx, this.vouches), deadlineMs });
  }

  close(): void {
    for (const channel of this.channels.values()) channel.close();
  }

  private client<D extends CompatServiceDefinition>(
    platform: PlatformName,
    definition: D,
  ): TypedClient<D> {
    const address = this.addresses[platform];
    if (address === undefined) return notConnected(platform, definition);
    let channel = this.channels.get(platform);
    if (!channel) {
      channel = grpcChannel(address);
      this.channels.set(platform, channel);
    }
    return typedClient(definition, channel, {
      deadlineMs: this.defaultDeadlineMs,
      peer: platform,
      outgoing: (md) => withServiceToken(md, this.serviceIdentity),
      toError: (decoded, method) => new PlatformCallError(platform, method, decoded),
      direct: () => this.direct,
    });
  }
}

/** A client of a platform this gateway has no address for: every call answers UNIMPLEMENTED. */
function notConnected<D extends CompatServiceDefinition>(
  platform: PlatformName,
  definition: D,
): TypedClient<D> {
  // the channel is never dialled: the middleware answers before any call reaches it
  const channel = createChannel('unconnected.invalid:1');
  channel.close();
  return createClientFactory()
    .use(async function* unimplemented(call) {
      const method = call.method.path.slice(call.method.path.lastIndexOf('/') + 1);
      throw new PlatformCallError(platform, method, {
        code: status.UNIMPLEMENTED,
        message: `${platform} is not connected to this gateway`,
        fieldViolations: [],
      });
    })
    .create(definition, channel);
}
