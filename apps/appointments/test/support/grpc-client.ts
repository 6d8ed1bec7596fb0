import { forwardedTestKit } from '@trellis/auth/testing';
import { appointments } from '@trellis/contracts';
import type { DecodedGrpcError, ForwardCallOptions } from '@trellis/service-kit';
import { TypedTestClients } from '@trellis/testing';

export { toTimestamp as ts } from '@trellis/contracts';

/**
 * Typed clients of both appointments services (generated from proto/: a renamed RPC or field fails
 * the typecheck), calling as the gateway forwards a local system's call: its bearer token plus the
 * gateway's service token.
 */
export class AppointmentsGrpcClient extends TypedTestClients<ForwardCallOptions, DecodedGrpcError> {
  readonly schedule = this.client(appointments.v1.ScheduleServiceDefinition);
  readonly appointment = this.client(appointments.v1.AppointmentServiceDefinition);

  constructor(address: string) {
    super(address, forwardedTestKit(), appointments.v1);
  }
}
