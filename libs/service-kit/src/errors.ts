// The one error vocabulary: domain errors carry a code (per-context enum) and a kind; one mapper
// turns them into a gRPC status with rich details, another into an HTTP status. FHIR
// OperationOutcome mapping lives in @trellis/fhir and uses `kind` the same way.
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { google } from '@trellis/contracts';

import { STATUS_TABLE, type GrpcCodeName } from './status-map';

/** Transport-neutral error kinds (≈ gRPC canonical codes). */
export type ErrorKind = Extract<
  GrpcCodeName,
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
>;

/** A field-level problem (same triple as trellis.common.v1.ErrorDetail). */
export interface FieldViolation {
  /** Request field path, e.g. "patient.names[0].family". */
  field: string;
  /** Stable rule id, e.g. "nhs-number.checksum", "required". */
  rule: string;
  /** Human-readable, English, no PII. */
  message: string;
}

/**
 * Base class of every domain error. Per bounded context:
 *
 *   export enum PatientErrorCode { NotFound = 'PATIENT_NOT_FOUND', Duplicate = 'PATIENT_DUPLICATE' }
 *   const KIND: Record<PatientErrorCode, ErrorKind> = { [PatientErrorCode.NotFound]: 'NOT_FOUND', ... };
 *   export class PatientError extends DomainError<PatientErrorCode> {
 *     constructor(code: PatientErrorCode, message: string, details?: FieldViolation[]) {
 *       super('identity', code, KIND[code], message, details);
 *     }
 *   }
 */
export class DomainError<C extends string = string> extends Error {
  constructor(
    /** Logical domain, e.g. "identity" (becomes ErrorInfo.domain "trellis.identity"). */
    readonly domain: string,
    /** Stable SCREAMING_SNAKE_CASE code, unique within the domain. */
    readonly code: C,
    readonly kind: ErrorKind,
    message: string,
    readonly details: readonly FieldViolation[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Request validation failed on one or more fields (INVALID_ARGUMENT, code VALIDATION_FAILED). */
export class ValidationError extends DomainError<'VALIDATION_FAILED'> {
  constructor(
    details: FieldViolation[],
    message = 'Request validation failed',
    domain = 'platform',
  ) {
    super(domain, 'VALIDATION_FAILED', 'INVALID_ARGUMENT', message, details);
  }
}

/** The gRPC status of an error kind (the status table's row). */
export function grpcCodeOf(kind: ErrorKind): GrpcStatus {
  return STATUS_TABLE[kind].grpc;
}

/** The HTTP status of an error kind (the status table's row). */
export function httpStatusOf(kind: ErrorKind): number {
  return STATUS_TABLE[kind].http;
}

export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
export const ERROR_CODE_KEY = 'trellis-error-code';
export const CORRELATION_KEY = 'x-correlation-id';
const TYPE_PREFIX = 'type.googleapis.com/';

/** What grpc-js sends as status when a handler fails with it (ServerErrorResponse shape). */
export interface GrpcErrorResponse {
  code: GrpcStatus;
  details: string;
  message: string;
  metadata: Metadata;
}

/**
 * DomainError -> gRPC status + trailers:
 *   grpc-status-details-bin: google.rpc.Status{ code, message, details: [ErrorInfo{reason: code,
 *     domain: "trellis.<domain>", metadata: {correlation_id}}, BadRequest{field_violations}?] }
 *   trellis-error-code: the code; x-correlation-id: the correlation id.
 * Anything else -> INTERNAL "Internal error (correlation id …)" without message or stack.
 */
export function toGrpcError(error: unknown, correlationId: string): GrpcErrorResponse {
  const metadata = new Metadata();
  metadata.set(CORRELATION_KEY, correlationId);
  let code: GrpcStatus;
  let message: string;
  const any: google.protobuf.Any[] = [];
  if (error instanceof DomainError) {
    code = grpcCodeOf(error.kind);
    message = error.message;
    metadata.set(ERROR_CODE_KEY, error.code);
    any.push(
      pack(
        'google.rpc.ErrorInfo',
        google.rpc.ErrorInfo.encode({
          reason: error.code,
          domain: `trellis.${error.domain}`,
          metadata: { correlation_id: correlationId },
        }).finish(),
      ),
    );
    if (error.details.length > 0) {
      any.push(
        pack(
          'google.rpc.BadRequest',
          google.rpc.BadRequest.encode({
            fieldViolations: error.details.map((d) => ({
              field: d.field,
              reason: d.rule,
              description: d.message,
              localizedMessage: undefined,
            })),
          }).finish(),
        ),
      );
    }
  } else {
    code = GrpcStatus.INTERNAL;
    message = `Internal error (correlation id ${correlationId})`;
    metadata.set(ERROR_CODE_KEY, 'INTERNAL');
    any.push(
      pack(
        'google.rpc.ErrorInfo',
        google.rpc.ErrorInfo.encode({
          reason: 'INTERNAL',
          domain: 'trellis.platform',
          metadata: { correlation_id: correlationId },
        }).finish(),
      ),
    );
  }
  metadata.set(
    STATUS_DETAILS_KEY,
    Buffer.from(google.rpc.Status.encode({ code, message, details: any }).finish()),
  );
  return { code, details: message, message, metadata };
}

function pack(typeName: string, value: Uint8Array): google.protobuf.Any {
  return { typeUrl: TYPE_PREFIX + typeName, value };
}

/** Decoded rich error (client side: tests, gateway mapping gRPC errors to FHIR). */
export interface DecodedGrpcError {
  code: number;
  message: string;
  reason?: string;
  domain?: string;
  correlationId?: string;
  fieldViolations: FieldViolation[];
}

/** Reads google.rpc.Status details from a grpc-js ServiceError's trailers. */
export function decodeGrpcError(error: {
  code?: number;
  details?: string;
  message?: string;
  /** grpc-js Metadata, or any trailers read the same way (nice-grpc's, through `getAll`). */
  metadata?: { get(key: string): Array<string | Uint8Array> };
}): DecodedGrpcError {
  const out: DecodedGrpcError = {
    code: error.code ?? GrpcStatus.UNKNOWN,
    message: error.details ?? error.message ?? '',
    fieldViolations: [],
  };
  const raw = error.metadata?.get(STATUS_DETAILS_KEY)[0];
  if (!raw || typeof raw === 'string') return out;
  const st = google.rpc.Status.decode(raw);
  out.message = st.message;
  for (const d of st.details) {
    if (d.typeUrl === TYPE_PREFIX + 'google.rpc.ErrorInfo') {
      const info = google.rpc.ErrorInfo.decode(d.value);
      out.reason = info.reason;
      out.domain = info.domain;
      out.correlationId = info.metadata['correlation_id'];
    } else if (d.typeUrl === TYPE_PREFIX + 'google.rpc.BadRequest') {
      for (const v of google.rpc.BadRequest.decode(d.value).fieldViolations) {
        out.fieldViolations.push({ field: v.field, rule: v.reason, message: v.description });
      }
    }
  }
  return out;
}

/** JSON body for HTTP errors (non-FHIR routes). */
export interface HttpErrorBody {
  error: { code: string; message: string; correlationId: string; details?: FieldViolation[] };
}

export function toHttpError(
  error: unknown,
  correlationId: string,
): { status: number; body: HttpErrorBody } {
  if (error instanceof DomainError) {
    return {
      status: httpStatusOf(error.kind),
      body: {
        error: {
          code: error.code,
          message: error.message,
          correlationId,
          ...(error.details.length > 0 ? { details: [...error.details] } : {}),
        },
      },
    };
  }
  return {
    status: 500,
    body: {
      error: {
        code: 'INTERNAL',
        message: `Internal error (correlation id ${correlationId})`,
        correlationId,
      },
    },
  };
}

/** For exhaustive switches over code enums. */
export function assertUnreachable(value: never): never {
  throw new Error(`Unreachable: ${String(value)}`);
}
