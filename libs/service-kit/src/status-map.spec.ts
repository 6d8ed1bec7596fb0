import { status as GrpcStatus } from '@grpc/grpc-js';

import { grpcCodeOf, httpStatusOf, type ErrorKind } from './errors';
import {
  grpcCodeName,
  httpStatusOfGrpcCode,
  STATUS_TABLE,
  statusOfGrpcCode,
  type GrpcCodeName,
} from './status-map';

// What each gRPC status answers as on the REST and FHIR doors (the contract the table encodes).
const EXPECTED: ReadonlyArray<[GrpcCodeName, number, number, string]> = [
  ['OK', 0, 200, 'informational'],
  ['CANCELLED', 1, 503, 'transient'],
  ['UNKNOWN', 2, 500, 'exception'],
  ['INVALID_ARGUMENT', 3, 400, 'invalid'],
  ['DEADLINE_EXCEEDED', 4, 504, 'timeout'],
  ['NOT_FOUND', 5, 404, 'not-found'],
  ['ALREADY_EXISTS', 6, 409, 'duplicate'],
  ['PERMISSION_DENIED', 7, 403, 'forbidden'],
  ['RESOURCE_EXHAUSTED', 8, 429, 'throttled'],
  ['FAILED_PRECONDITION', 9, 422, 'business-rule'],
  ['ABORTED', 10, 409, 'conflict'],
  ['OUT_OF_RANGE', 11, 400, 'invalid'],
  ['UNIMPLEMENTED', 12, 501, 'not-supported'],
  ['INTERNAL', 13, 500, 'exception'],
  ['UNAVAILABLE', 14, 503, 'transient'],
  ['DATA_LOSS', 15, 500, 'exception'],
  ['UNAUTHENTICATED', 16, 401, 'login'],
];

describe('the status table', () => {
  it('has a row for every grpc-js status code, and no other', () => {
    const codes = Object.values(GrpcStatus).filter((v): v is number => typeof v === 'number');
    expect(
      Object.values(STATUS_TABLE)
        .map((r) => r.grpc)
        .sort((a, b) => a - b),
    ).toEqual(codes.sort((a, b) => a - b));
  });

  it.each(EXPECTED)('%s (%i) answers HTTP %i, FHIR issue %s', (name, code, http, issue) => {
    expect(GrpcStatus[name]).toBe(code);
    expect(statusOfGrpcCode(code)).toEqual({ name, grpc: code, http, fhirIssue: issue });
    expect(grpcCodeName(code)).toBe(name);
    expect(httpStatusOfGrpcCode(code)).toBe(http);
  });

  it('counts a code outside the canonical set as UNKNOWN (500), and names it by its number', () => {
    for (const code of [-1, 17, 99, 1.5]) {
      expect(statusOfGrpcCode(code).name).toBe('UNKNOWN');
      expect(httpStatusOfGrpcCode(code)).toBe(500);
      expect(grpcCodeName(code)).toBe(String(code));
    }
  });

  it('maps every domain error kind through the same rows (kind → gRPC → kind, kind → HTTP)', () => {
    const kinds: ErrorKind[] = [
      'INVALID_ARGUMENT',
      'NOT_FOUND',
      'ALREADY_EXISTS',
      'FAILED_PRECONDITION',
      'ABORTED',
      'PERMISSION_DENIED',
      'UNAUTHENTICATED',
      'RESOURCE_EXHAUSTED',
      'UNAVAILABLE',
      'DEADLINE_EXCEEDED',
      'UNIMPLEMENTED',
      'INTERNAL',
    ];
    for (const kind of kinds) {
      const row = EXPECTED.find(([name]) => name === kind);
      expect(row).toBeDefined();
      expect(grpcCodeOf(kind)).toBe(row?.[1]);
      expect(grpcCodeName(grpcCodeOf(kind))).toBe(kind);
      expect(httpStatusOf(kind)).toBe(row?.[2]);
    }
  });
});
