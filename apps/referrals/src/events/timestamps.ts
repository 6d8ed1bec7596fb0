/** google.protobuf.Timestamp as ts-proto generates it with useDate=false. */
export interface Timestamp {
  seconds: number;
  nanos: number;
}

export function toTimestamp(d: Date): Timestamp {
  const ms = d.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function fromTimestamp(t: Timestamp | undefined | null): Date | undefined {
  if (!t) return undefined;
  return new Date(Number(t.seconds) * 1000 + Math.floor(Number(t.nanos ?? 0) / 1_000_000));
}
