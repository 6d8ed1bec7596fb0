import { type events } from '@trellis/contracts';

/** What a counter row counts (see prisma/schema.prisma TrafficCounter). */
export type Metric = 'request' | 'accepted' | 'refused' | 'error' | 'violation' | 'behaviour';

/** Client behaviours a national service cares about, derived from one event each. */
export const BEHAVIOURS = {
  rateLimited: 'rate-limited',
  updateWithoutIfMatch: 'update-without-if-match',
  duplicateCreate: 'duplicate-create',
  callAfterSuspension: 'call-after-suspension',
  /** A write refused because compliance enforcement withdrew the product's write scopes. */
  writeWhileRestricted: 'write-while-restricted',
} as const;
/** Derived at read time: rate-limited calls of a system after its first in the same window. */
export const RETRY_BEFORE_RETRY_AFTER = 'retry-before-retry-after';

export interface CounterDelta {
  systemId: string;
  bucketStart: Date;
  productVersionId: string;
  metric: Metric;
  key: string;
  status: string;
  door: 'rest' | 'grpc';
  count: number;
  issues: number;
  example: string | null;
  lastEventAt: Date;
}

export const BUCKET_MS = 60_000;
const MAX_KEY = 120;

export function bucketOf(t: Date): Date {
  return new Date(Math.floor(t.getTime() / BUCKET_MS) * BUCKET_MS);
}

function timeOf(ts: { seconds: number; nanos: number } | undefined, fallback: Date): Date {
  return ts && (ts.seconds || ts.nanos)
    ? new Date(ts.seconds * 1000 + Math.floor(ts.nanos / 1e6))
    : fallback;
}

/** gRPC paths start with "/", REST interactions with the verb ("GET /fhir/Patient/:id"). */
export function doorOf(interaction: string): 'rest' | 'grpc' {
  return interaction.startsWith('/') ? 'grpc' : 'rest';
}

/**
 * How a refused or failed call was answered, as the audit describes it: "http 422", "grpc 6",
 * "PERMISSION_DENIED: INSUFFICIENT_SCOPE"; bounded and free of anything but the code.
 */
export function statusOf(outcomeDescription: string, outcome: string): string {
  const d = outcomeDescription.trim();
  if (d === '') return outcome === '8' ? 'error' : 'refused';
  const m = /^(http \d{3}|grpc \d{1,2}|[A-Z_]{3,40}(?:: [A-Z_]{3,60})?)/.exec(d);
  return m?.[1] ?? d.replace(/[^\x20-\x7e]/g, '').slice(0, MAX_KEY);
}

/** Element paths without values: quoted literals and long digit runs (identifiers) removed. */
export function redactPath(expression: string): string {
  return expression
    .replace(/'(?:[^'\\]|\\.)*'/g, "'…'")
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/\d{4,}/g, '…')
    .replace(/[^\x20-\x7e…]/g, '')
    .slice(0, 200);
}

/** Behaviours one call shows (the retry behaviour is derived from counts, see the scorecard). */
export function behavioursOf(action: string, status: string): string[] {
  const out: string[] = [];
  if (status === 'http 429' || status === 'grpc 8' || status.startsWith('RESOURCE_EXHAUSTED'))
    out.push(BEHAVIOURS.rateLimited);
  if (status === 'http 428') out.push(BEHAVIOURS.updateWithoutIfMatch);
  if (
    action === 'C' &&
    (status === 'http 409' || status === 'grpc 6' || status.startsWith('ALREADY_EXISTS'))
  )
    out.push(BEHAVIOURS.duplicateCreate);
  if (status.includes('SYSTEM_SUSPENDED')) out.push(BEHAVIOURS.callAfterSuspension);
  return out;
}

/**
 * Counter deltas of one access event, counting every call once: the chokepoint's (`chokepoint`,
 * the gateway) records — every REST call, and gRPC calls refused at the front door — plus the
 * platforms' records of calls the gRPC front door forwarded (door "grpc"; a call allowed through
 * that door is audited by the platform only). A platform's record of a call the REST facade
 * forwarded names no door and is not counted (the gateway's record of it is). Calls no system
 * could be named for are not attributable.
 */
export function deltasOfAccess(
  msg: events.v1.AccessRecorded,
  chokepoint: string,
  fallbackTime: Date,
): CounterDelta[] {
  const counted = msg.sourceService === chokepoint || msg.door === 'grpc';
  if (!counted || !msg.systemId) return [];
  const at = timeOf(msg.recordedAt, fallbackTime);
  const base = {
    systemId: msg.systemId.slice(0, MAX_KEY),
    bucketStart: bucketOf(at),
    productVersionId: msg.productVersionId.slice(0, MAX_KEY),
    door: msg.door === 'grpc' ? ('grpc' as const) : doorOf(msg.interaction),
    count: 1,
    issues: 0,
    example: null,
    lastEventAt: at,
  };
  const out: CounterDelta[] = [{ ...base, metric: 'request', key: '', status: '' }];
  if (msg.outcome === '0') {
    out.push({ ...base, metric: 'accepted', key: '', status: '' });
    return out;
  }
  const status = statusOf(msg.outcomeDescription, msg.outcome);
  // refused by enforcement, not for the call's content: not judged (the rate can recover)
  if (status.includes('WRITES_RESTRICTED')) {
    out.push({ ...base, metric: 'behaviour', key: BEHAVIOURS.writeWhileRestricted, status });
    return out;
  }
  out.push({ ...base, metric: msg.outcome === '8' ? 'error' : 'refused', key: '', status });
  for (const b of behavioursOf(msg.action, status))
    out.push({ ...base, metric: 'behaviour', key: b, status });
  return out;
}

/** Counter delta of one ConformanceViolation (one rule a refused request broke). */
export function deltasOfViolation(
  msg: events.v1.ConformanceViolation,
  fallbackTime: Date,
): CounterDelta[] {
  if (!msg.systemId || !msg.rule) return [];
  const at = timeOf(msg.occurredAt, fallbackTime);
  const first = msg.expressions[0] ?? msg.resourceType;
  return [
    {
      systemId: msg.systemId.slice(0, MAX_KEY),
      bucketStart: bucketOf(at),
      productVersionId: msg.productVersionId.slice(0, MAX_KEY),
      metric: 'violation',
      key: msg.rule.slice(0, MAX_KEY),
      status: msg.httpStatus ? `http ${msg.httpStatus}` : '',
      door: doorOf(msg.interaction),
      count: 1,
      issues: Math.max(1, msg.count || msg.expressions.length),
      example: first ? redactPath(first) : null,
      lastEventAt: at,
    },
  ];
}

function rowKey(d: CounterDelta): string {
  return [
    d.systemId,
    d.bucketStart.toISOString(),
    d.productVersionId,
    d.metric,
    d.key,
    d.status,
    d.door,
  ].join('\u0000');
}

/** The example kept for a row: the newest event's (ties: the greatest path), order-independent. */
function newerExample(a: CounterDelta, b: CounterDelta): string | null {
  if (a.example === null) return b.example;
  if (b.example === null) return a.example;
  const ta = a.lastEventAt.getTime();
  const tb = b.lastEventAt.getTime();
  if (ta !== tb) return ta > tb ? a.example : b.example;
  return a.example > b.example ? a.example : b.example;
}

/**
 * One delta per counter row, in primary-key order: a multi-row UPSERT may touch each row once,
 * and concurrent transactions locking rows in the same order cannot deadlock.
 */
export function mergeDeltas(deltas: readonly CounterDelta[]): CounterDelta[] {
  const byKey = new Map<string, CounterDelta>();
  for (const d of deltas) {
    const k = rowKey(d);
    const held = byKey.get(k);
    if (!held) {
      byKey.set(k, { ...d });
      continue;
    }
    held.example = newerExample(held, d);
    held.count += d.count;
    held.issues += d.issues;
    if (d.lastEventAt > held.lastEventAt) held.lastEventAt = d.lastEventAt;
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);
}
