import { Metadata, status } from '@grpc/grpc-js';
import { google } from '@trellis/contracts';
import {
  decodeGrpcError,
  DomainError,
  httpStatusOf,
  toGrpcError,
  toHttpError,
  ValidationError,
  type ErrorKind,
} from './errors';

enum ThingErrorCode {
  NotFound = 'THING_NOT_FOUND',
  Duplicate = 'THING_DUPLICATE',
  Stale = 'THING_STALE',
}
const KIND: Record<ThingErrorCode, ErrorKind> = {
  [ThingErrorCode.NotFound]: 'NOT_FOUND',
  [ThingErrorCode.Duplicate]: 'ALREADY_EXISTS',
  [ThingErrorCode.Stale]: 'ABORTED',
};
class ThingError extends DomainError<ThingErrorCode> {
  constructor(code: ThingErrorCode, message: string) {
    super('things', code, KIND[code], message);
  }
}

describe('toGrpcError', () => {
  it.each([
    [ThingErrorCode.NotFound, status.NOT_FOUND],
    [ThingErrorCode.Duplicate, status.ALREADY_EXISTS],
    [ThingErrorCode.Stale, status.ABORTED],
  ])('maps %s to gRPC %s with ErrorInfo', (code, grpcCode) => {
    const e = toGrpcError(new ThingError(code, 'msg'), 'corr-1');
    expect(e.code).toBe(grpcCode);
    expect(e.details).toBe('msg');
    expect(e.metadata.get('trellis-error-code')).toEqual([code]);
    expect(e.metadata.get('x-correlation-id')).toEqual(['corr-1']);
    expect(decodeGrpcError(e)).toEqual({
      code: grpcCode,
      message: 'msg',
      reason: code,
      domain: 'trellis.things',
      correlationId: 'corr-1',
      fieldViolations: [],
    });
  });

  it('carries field violations as google.rpc.BadRequest in grpc-status-details-bin', () => {
    const e = toGrpcError(
      new ValidationError(
        [
          {
            field: 'patient.nhs_number',
            rule: 'nhs-number.checksum',
            message: 'invalid check digit',
          },
        ],
        'Invalid patient',
        'identity',
      ),
      'c',
    );
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    const raw = e.metadata.get('grpc-status-details-bin')[0] as Buffer;
    const st = google.rpc.Status.decode(raw);
    expect(st.code).toBe(status.INVALID_ARGUMENT);
    expect(st.details.map((d) => d.typeUrl)).toEqual([
      'type.googleapis.com/google.rpc.ErrorInfo',
      'type.googleapis.com/google.rpc.BadRequest',
    ]);
    expect(google.rpc.BadRequest.decode(st.details[1]!.value).fieldViolations).toEqual([
      {
        field: 'patient.nhs_number',
        reason: 'nhs-number.checksum',
        description: 'invalid check digit',
        localizedMessage: undefined,
      },
    ]);
  });

  it('never leaks message or stack of unexpected errors', () => {
    const e = toGrpcError(new TypeError('cannot read x of undefined at /srv/secret.ts'), 'corr-9');
    expect(e.code).toBe(status.INTERNAL);
    expect(e.details).toBe('Internal error (correlation id corr-9)');
    const decoded = decodeGrpcError(e);
    expect(decoded.reason).toBe('INTERNAL');
    expect(JSON.stringify(decoded)).not.toContain('secret');
  });

  it('decodes plain errors without details', () => {
    expect(
      decodeGrpcError({ code: status.UNAVAILABLE, details: 'down', metadata: new Metadata() }),
    ).toEqual({
      code: status.UNAVAILABLE,
      message: 'down',
      fieldViolations: [],
    });
  });
});

describe('toHttpError', () => {
  it('maps kinds to HTTP statuses and keeps details', () => {
    expect(toHttpError(new ThingError(ThingErrorCode.Duplicate, 'dup'), 'c')).toEqual({
      status: 409,
      body: { error: { code: 'THING_DUPLICATE', message: 'dup', correlationId: 'c' } },
    });
    expect(
      toHttpError(
        new ValidationError([{ field: 'a', rule: 'required', message: 'is required' }]),
        'c',
      ).status,
    ).toBe(400);
    expect(toHttpError(new Error('boom'), 'c')).toEqual({
      status: 500,
      body: {
        error: {
          code: 'INTERNAL',
          message: 'Internal error (correlation id c)',
          correlationId: 'c',
        },
      },
    });
    const kinds: ErrorKind[] = [
      'PERMISSION_DENIED',
      'UNAUTHENTICATED',
      'RESOURCE_EXHAUSTED',
      'FAILED_PRECONDITION',
    ];
    expect(kinds.map(httpStatusOf)).toEqual([403, 401, 429, 422]);
  });
});
