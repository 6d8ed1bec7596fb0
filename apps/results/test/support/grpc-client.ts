import { forwardedTestKit } from '@trellis/auth/testing';
import { results } from '@trellis/contracts';
import type { DecodedGrpcError, ForwardCallOptions } from '@trellis/service-kit';
import { TypedTestClients } from '@trellis/testing';

export { toTimestamp as ts } from '@trellis/contracts';

/**
 * A typed client of the results ReportService (generated from proto/: a renamed RPC or field fails
 * the typecheck), calling as the gateway forwards a local system's call: its bearer token plus the
 * gateway's service token. A failed call rejects with a TestCallError (its status `code`).
 */
export class ResultsGrpcClient extends TypedTestClients<ForwardCallOptions, DecodedGrpcError> {
  readonly reports = this.client(results.v1.ReportServiceDefinition);

  constructor(address: string) {
    super(address, forwardedTestKit(), results.v1);
  }
}
