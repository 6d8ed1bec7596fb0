// The one status table: every gRPC status code with the HTTP status and FHIR issue code it answers
// as. Domain errors map through it (kind → gRPC / HTTP), the gateway's FHIR facade maps platform
// errors through it (gRPC → OperationOutcome), the front door records through it (gRPC → HTTP).
import { status as GrpcStatus } from '@grpc/grpc-js';

/** The canonical gRPC status names (grpc-js `status`). */
export type GrpcCodeName =
  | 'OK'
  | 'CANCELLED'
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS'
  | 'UNAUTHENTICATED';

/** The FHIR issue codes (IssueType) a status answers with. */
export type StatusIssueCode =
  | 'informational'
  | 'invalid'
  | 'business-rule'
  | 'login'
  | 'forbidden'
  | 'not-found'
  | 'duplicate'
  | 'conflict'
  | 'throttled'
  | 'not-supported'
  | 'transient'
  | 'timeout'
  | 'exception';

export interface StatusMapping {
  readonly name: GrpcCodeName;
  readonly grpc: GrpcStatus;
  readonly http: number;
  readonly fhirIssue: StatusIssueCode;
}

const row = (
  name: GrpcCodeName,
  http: number,
  fhirIssue: StatusIssueCode,
): [GrpcCodeName, StatusMapping] => [name, { name, grpc: GrpcStatus[name], http, fhirIssue }];

export const STATUS_TABLE: Readonly<Record<GrpcCodeName, StatusMapping>> = Object.fromEntries([
  row('OK', 200, 'informational'),
  // the client went away: transient from the server's side
  row('CANCELLED', 503, 'transient'),
  row('UNKNOWN', 500, 'exception'),
  row('INVALID_ARGUMENT', 400, 'invalid'),
  row('DEADLINE_EXCEEDED', 504, 'timeout'),
  row('NOT_FOUND', 404, 'not-found'),
  row('ALREADY_EXISTS', 409, 'duplicate'),
  row('PERMISSION_DENIED', 403, 'forbidden'),
  row('RESOURCE_EXHAUSTED', 429, 'throttled'),
  // a well-formed request the rules refuse in the current state: 422 Unprocessable
  row('FAILED_PRECONDITION', 422, 'business-rule'),
  // a lost race (version mismatch, concurrent change)
  row('ABORTED', 409, 'conflict'),
  row('OUT_OF_RANGE', 400, 'invalid'),
  row('UNIMPLEMENTED', 501, 'not-supported'),
  row('INTERNAL', 500, 'exception'),
  row('UNAVAILABLE', 503, 'transient'),
  row('DATA_LOSS', 500, 'exception'),
  row('UNAUTHENTICATED', 401, 'login'),
]) as Record<GrpcCodeName, StatusMapping>;

const BY_CODE: ReadonlyMap<number, StatusMapping> = new Map(
  Object.values(STATUS_TABLE).map((m) => [m.grpc, m]),
);

/** The row of a gRPC status code; a code outside the canonical set counts as UNKNOWN. */
export function statusOfGrpcCode(code: number): StatusMapping {
  return BY_CODE.get(code) ?? STATUS_TABLE.UNKNOWN;
}

/** The canonical name of a gRPC status code ("NOT_FOUND"); the number itself outside the set. */
export function grpcCodeName(code: number): GrpcCodeName | `${number}` {
  return BY_CODE.get(code)?.name ?? `${code}`;
}

/** The HTTP status a gRPC status code answers as on a REST door. */
export function httpStatusOfGrpcCode(code: number): number {
  return statusOfGrpcCode(code).http;
}
