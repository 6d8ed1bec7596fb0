import { events } from '@trellis/contracts';

import {
  behavioursOf,
  bucketOf,
  deltasOfAccess,
  deltasOfViolation,
  mergeDeltas,
  redactPath,
  statusOf,
  type CounterDelta,
} from './counters';

const T = new Date('2026-12-06T10:15:42.123Z');
const ts = (d: Date) => ({
  seconds: Math.floor(d.getTime() / 1000),
  nanos: (d.getTime() % 1000) * 1e6,
});

function access(over: Partial<events.v1.AccessRecorded> = {}): events.v1.AccessRecorded {
  return events.v1.AccessRecorded.fromPartial({
    auditId: 'a1',
    recordedAt: ts(T),
    action: 'R',
    outcome: '0',
    interaction: 'GET /fhir/Patient/:id',
    systemId: 'sys-gp',
    sourceService: 'gateway',
    productVersionId: 'acme-gp@1.0',
    ...over,
  });
}

function violation(
  over: Partial<events.v1.ConformanceViolation> = {},
): events.v1.ConformanceViolation {
  return events.v1.ConformanceViolation.fromPartial({
    systemId: 'sys-gp',
    rule: 'nhs-number.check-digit',
    resourceType: 'Patient',
    interaction: 'create',
    expressions: ["Patient.identifier.where(value='9990000018').value"],
    count: 1,
    httpStatus: 422,
    occurredAt: ts(T),
    productVersionId: 'acme-gp@1.0',
    ...over,
  });
}

const pick = (ds: CounterDelta[]) => ds.map((d) => [d.metric, d.key, d.status, d.door]);

describe('counting access events', () => {
  it('an accepted REST call: one request, one accepted, in its minute bucket', () => {
    const ds = deltasOfAccess(access(), 'gateway', new Date(0));
    expect(pick(ds)).toEqual([
      ['request', '', '', 'rest'],
      ['accepted', '', '', 'rest'],
    ]);
    expect(ds[0]!.bucketStart.toISOString()).toBe('2026-12-06T10:15:00.000Z');
    expect(ds[0]!.productVersionId).toBe('acme-gp@1.0');
  });

  it('a refused gRPC call: refused by status', () => {
    const ds = deltasOfAccess(
      access({
        interaction: '/trellis.identity.v1.PatientService/GetPatient',
        outcome: '4',
        outcomeDescription: 'PERMISSION_DENIED: INSUFFICIENT_SCOPE',
      }),
      'gateway',
      T,
    );
    expect(pick(ds)).toEqual([
      ['request', '', '', 'grpc'],
      ['refused', '', 'PERMISSION_DENIED: INSUFFICIENT_SCOPE', 'grpc'],
    ]);
  });

  it('server errors are counted apart from refusals', () => {
    const ds = deltasOfAccess(
      access({ outcome: '8', outcomeDescription: 'grpc 13' }),
      'gateway',
      T,
    );
    expect(pick(ds)).toEqual([
      ['request', '', '', 'rest'],
      ['error', '', 'grpc 13', 'rest'],
    ]);
  });

  it('counts the chokepoint and calls forwarded by the gRPC door, only attributable ones', () => {
    expect(deltasOfAccess(access({ sourceService: 'identity' }), 'gateway', T)).toEqual([]);
    const viaDoor = deltasOfAccess(
      access({
        sourceService: 'identity',
        door: 'grpc',
        interaction: '/trellis.identity.v1.PatientService/GetPatient',
      }),
      'gateway',
      T,
    );
    expect(pick(viaDoor)).toEqual([
      ['request', '', '', 'grpc'],
      ['accepted', '', '', 'grpc'],
    ]);
    expect(deltasOfAccess(access({ systemId: '' }), 'gateway', T)).toEqual([]);
  });

  it('behaviours', () => {
    expect(behavioursOf('R', 'http 429')).toEqual(['rate-limited']);
    expect(behavioursOf('R', 'grpc 8')).toEqual(['rate-limited']);
    expect(behavioursOf('U', 'http 428')).toEqual(['update-without-if-match']);
    expect(behavioursOf('C', 'http 409')).toEqual(['duplicate-create']);
    expect(behavioursOf('U', 'http 409')).toEqual([]);
    expect(behavioursOf('R', 'UNAUTHENTICATED: SYSTEM_SUSPENDED')).toEqual([
      'call-after-suspension',
    ]);
    const ds = deltasOfAccess(
      access({ outcome: '4', outcomeDescription: 'http 429' }),
      'gateway',
      T,
    );
    expect(pick(ds)).toContainEqual(['behaviour', 'rate-limited', 'http 429', 'rest']);
  });

  it('a write refused by enforcement is a behaviour, not a refusal (not judged)', () => {
    const ds = deltasOfAccess(
      access({
        action: 'C',
        outcome: '4',
        outcomeDescription: 'PERMISSION_DENIED: WRITES_RESTRICTED',
      }),
      'gateway',
      T,
    );
    expect(pick(ds)).toEqual([
      ['request', '', '', 'rest'],
      ['behaviour', 'write-while-restricted', 'PERMISSION_DENIED: WRITES_RESTRICTED', 'rest'],
    ]);
  });

  it('status keeps the code only', () => {
    expect(statusOf('http 422', '4')).toBe('http 422');
    expect(statusOf('UNAUTHENTICATED: INVALID_TOKEN because of x', '4')).toBe(
      'UNAUTHENTICATED: INVALID_TOKEN',
    );
    expect(statusOf('', '4')).toBe('refused');
    expect(statusOf('', '8')).toBe('error');
  });
});

describe('counting violations', () => {
  it('one row per rule, issues and a redacted example', () => {
    const [d] = deltasOfViolation(
      violation({ count: 2, expressions: ['Patient.a', 'Patient.b'] }),
      T,
    );
    expect(d).toMatchObject({
      metric: 'violation',
      key: 'nhs-number.check-digit',
      status: 'http 422',
      count: 1,
      issues: 2,
      example: 'Patient.a',
    });
  });

  it('redacts values from paths', () => {
    expect(redactPath("Patient.identifier.where(value='9990000018').value")).toBe(
      "Patient.identifier.where(value='…').value",
    );
    expect(redactPath('Patient.identifier[0].value 9990000018')).toBe(
      'Patient.identifier[0].value …',
    );
    const [d] = deltasOfViolation(violation(), T);
    expect(d!.example).not.toContain('999');
  });
});

describe('mergeDeltas', () => {
  it('sums per row, keeps the newest example whatever the order, sorts rows', () => {
    const later = new Date(T.getTime() + 5_000);
    const a = deltasOfViolation(violation({ expressions: ['Patient.old'] }), T);
    const b = deltasOfViolation(
      violation({ expressions: ['Patient.new'], occurredAt: ts(later) }),
      T,
    );
    const c = deltasOfAccess(access(), 'gateway', T);
    for (const order of [
      [...a, ...b, ...c],
      [...c, ...b, ...a],
    ]) {
      const merged = mergeDeltas(order);
      const v = merged.find((m) => m.metric === 'violation')!;
      expect(v).toMatchObject({ count: 2, issues: 2, example: 'Patient.new' });
      expect(v.lastEventAt).toEqual(later);
      expect(merged).toHaveLength(3);
    }
    expect(mergeDeltas([...a, ...b, ...c])).toEqual(mergeDeltas([...c, ...b, ...a]));
  });

  it('buckets are minutes of event time', () => {
    expect(bucketOf(new Date('2026-12-06T10:15:59.999Z')).toISOString()).toBe(
      '2026-12-06T10:15:00.000Z',
    );
  });
});
