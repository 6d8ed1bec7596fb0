// google.protobuf.Timestamp <-> Date. ts-proto runs with useDate=false, so Timestamps are plain
// { seconds, nanos } objects (what @grpc/proto-loader delivers with longs: Number).
export interface TimestampLike {
  seconds: number;
  nanos: number;
}

export function toTimestamp(date: Date): TimestampLike {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError('toTimestamp: invalid Date');
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** Loader output may omit zero fields (seconds/nanos undefined): treat them as 0. */
export function fromTimestamp(ts: { seconds?: number | null; nanos?: number | null }): Date {
  return new Date((ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1_000_000));
}

/** A Timestamp message field that may be absent (proto3 message fields are optional). */
export function fromOptionalTimestamp(
  ts: { seconds?: number | null; nanos?: number | null } | null | undefined,
): Date | undefined {
  return ts ? fromTimestamp(ts) : undefined;
}
