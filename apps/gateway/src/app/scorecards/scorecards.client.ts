import { withServiceToken, type ServiceIdentity } from '@trellis/auth';
import { conformance } from '@trellis/contracts';
import {
  DomainError,
  grpcChannel,
  statusOfGrpcCode,
  typedClient,
  type DecodedGrpcError,
  type ErrorKind,
  type GrpcCodeName,
  type TypedClient,
} from '@trellis/service-kit';
import { type Channel } from 'nice-grpc';

export const SCORECARDS_CLIENT = Symbol('SCORECARDS_CLIENT');

/** A failed scorecard call: the decoded rich error (or a transport failure). */
export class ScorecardCallError extends Error {
  constructor(readonly decoded: DecodedGrpcError) {
    super(`conformance GetScorecard: ${decoded.message}`);
    this.name = 'ScorecardCallError';
  }
}

// the conformance service's refusals the JSON doors pass on as the same 4xx (by the status table);
// any other failure is the service being unavailable
const PASSED_ON: Partial<Record<GrpcCodeName, ErrorKind>> = {
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  NOT_FOUND: 'NOT_FOUND',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  UNAVAILABLE: 'UNAVAILABLE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
};

/** The conformance service's refusal as a platform error (its 4xx stay 4xx, never a 500). */
export function conformanceRefusal(err: ScorecardCallError): DomainError {
  const d = err.decoded;
  return new DomainError(
    'conformance',
    d.reason ?? 'CONFORMANCE_FAILED',
    PASSED_ON[statusOfGrpcCode(d.code).name] ?? 'UNAVAILABLE',
    d.message,
    d.fieldViolations,
  );
}

/** What a scorecard call forwards: the caller's token (the service decides what it may read). */
export interface ScorecardCallContext {
  authorization?: string;
  traceparent?: string;
  correlationId?: string;
}

/** Typed client of trellis.conformance.v1.ScorecardService (one channel, deadline per call). */
export class ScorecardsClient {
  private readonly channel: Channel;
  private readonly client: TypedClient<conformance.v1.ScorecardServiceDefinition>;

  constructor(address: string, deadlineMs: number, identity?: ServiceIdentity) {
    this.channel = grpcChannel(address);
    this.client = typedClient(conformance.v1.ScorecardServiceDefinition, this.channel, {
      deadlineMs,
      outgoing: (md) => withServiceToken(md, identity),
      toError: (decoded) => new ScorecardCallError(decoded),
    });
  }

  getScorecard(
    req: conformance.v1.GetScorecardRequest,
    ctx: ScorecardCallContext,
  ): Promise<conformance.v1.GetScorecardResponse> {
    return this.client.getScorecard(req, { forward: ctx });
  }

  listComplianceChanges(
    req: conformance.v1.ListComplianceChangesRequest,
    ctx: ScorecardCallContext,
  ): Promise<conformance.v1.ListComplianceChangesResponse> {
    return this.client.listComplianceChanges(req, { forward: ctx });
  }

  listSystemScorecards(
    req: conformance.v1.ListSystemScorecardsRequest,
    ctx: ScorecardCallContext,
  ): Promise<conformance.v1.ListSystemScorecardsResponse> {
    return this.client.listSystemScorecards(req, { forward: ctx });
  }

  listRegionComplianceChanges(
    req: conformance.v1.ListRegionComplianceChangesRequest,
    ctx: ScorecardCallContext,
  ): Promise<conformance.v1.ListRegionComplianceChangesResponse> {
    return this.client.listRegionComplianceChanges(req, { forward: ctx });
  }

  close(): void {
    this.channel.close();
  }
}
