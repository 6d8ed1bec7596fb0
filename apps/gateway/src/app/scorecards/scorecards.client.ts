import * as grpc from '@grpc/grpc-js';
import { withServiceToken, type ServiceIdentity } from '@trellis/auth';
import { type conformance } from '@trellis/contracts';
import {
  decodeGrpcError,
  DomainError,
  loadProtoPackageDefinition,
  type DecodedGrpcError,
  type ErrorKind,
} from '@trellis/platform';

export const SCORECARDS_CLIENT = Symbol('SCORECARDS_CLIENT');

/** A failed scorecard call: the decoded rich error (or a transport failure). */
export class ScorecardCallError extends Error {
  constructor(readonly decoded: DecodedGrpcError) {
    super(`conformance GetScorecard: ${decoded.message}`);
    this.name = 'ScorecardCallError';
  }
}

// gRPC status code -> the platform's error kind, so the JSON doors answer the same 4xx
const KIND: Readonly<Record<number, ErrorKind>> = {
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  7: 'PERMISSION_DENIED',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};

/** The conformance service's refusal as a platform error (its 4xx stay 4xx, never a 500). */
export function conformanceRefusal(err: ScorecardCallError): DomainError {
  const d = err.decoded;
  return new DomainError(
    'conformance',
    d.reason ?? 'CONFORMANCE_FAILED',
    KIND[d.code] ?? 'UNAVAILABLE',
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

type Unary = (
  req: unknown,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: unknown) => void,
) => grpc.ClientUnaryCall;

/** grpc-js client of trellis.conformance.v1.ScorecardService (one channel, deadline per call). */
type Method =
  'getScorecard' | 'listComplianceChanges' | 'listSystemScorecards' | 'listRegionComplianceChanges';
type Stub = grpc.Client & Record<Method, Unary>;

export class ScorecardsClient {
  private readonly stub: Stub;

  constructor(
    address: string,
    private readonly deadlineMs: number,
    private readonly identity?: ServiceIdentity,
  ) {
    const loaded = grpc.loadPackageDefinition(
      loadProtoPackageDefinition(['trellis/conformance/v1/conformance.proto']),
    ) as unknown as {
      trellis: {
        conformance: {
          v1: {
            ScorecardService: new (a: string, c: grpc.ChannelCredentials) => Stub;
          };
        };
      };
    };
    this.stub = new loaded.trellis.conformance.v1.ScorecardService(
      address,
      grpc.credentials.createInsecure(),
    );
  }

  getScorecard(
    req: conformance.v1.GetScorecardRequest,
    ctx: ScorecardCallContext,
  ): Promise<conformance.v1.GetScorecardResponse> {
    return this.call('getScorecard', req, ctx);
  }

  listComplianceChanges(
    req: conformance.v1.ListComplianceChangesRequest,
    ctx: ScorecardCallContext,
  ): Promise<conformance.v1.ListComplianceChangesResponse> {
    return this.call('listComplianceChanges', req, ctx);
  }

  listSystemScorecards(
    req: conformance.v1.ListSystemScorecardsRequest,
    ctx: ScorecardCallContext,
  ): Promise<conformance.v1.ListSystemScorecardsResponse> {
    return this.call('listSystemScorecards', req, ctx);
  }

  listRegionComplianceChanges(
    req: conformance.v1.ListRegionComplianceChangesRequest,
    ctx: ScorecardCallContext,
  ): Promise<conformance.v1.ListRegionComplianceChangesResponse> {
    return this.call('listRegionComplianceChanges', req, ctx);
  }

  private call<T>(method: Method, req: unknown, ctx: ScorecardCallContext): Promise<T> {
    const md = new grpc.Metadata();
    if (ctx.authorization) md.set('authorization', ctx.authorization);
    if (ctx.traceparent) md.set('traceparent', ctx.traceparent);
    if (ctx.correlationId) md.set('x-correlation-id', ctx.correlationId);
    withServiceToken(md, this.identity);
    return new Promise((resolve, reject) => {
      this.stub[method](req, md, { deadline: Date.now() + this.deadlineMs }, (err, res) => {
        if (err) reject(new ScorecardCallError(decodeGrpcError(err)));
        else resolve(res as T);
      });
    });
  }

  close(): void {
    this.stub.close();
  }
}
