import { randomUUID } from 'node:crypto';

import { events, toTimestamp } from '@trellis/contracts';
import { toCloudEventHeaders, type OutgoingMessage } from '@trellis/events';
import { fakeNhsNumbers } from '@trellis/testing';

/** A deployment of a product version, as the gateway sees it. */
export interface ScriptedSystem {
  systemId: string;
  productVersionId: string;
}

/** What the test itself counted for one subject and period (what the scorecard must say). */
export interface Tally {
  requests: number;
  accepted: number;
  refused: number;
  errors: number;
  violations: number;
  statuses: Record<string, number>;
  rules: Record<string, { requests: number; issues: number }>;
  behaviours: Record<string, number>;
  /** rate-limited calls per system and minute, for the derived retry behaviour */
  rateLimited: Record<string, number>;
}

export function emptyTally(): Tally {
  return {
    requests: 0,
    accepted: 0,
    refused: 0,
    errors: 0,
    violations: 0,
    statuses: {},
    rules: {},
    behaviours: {},
    rateLimited: {},
  };
}

const add = (m: Record<string, number>, k: string, n = 1): void => {
  m[k] = (m[k] ?? 0) + n;
};

export interface Call {
  system: ScriptedSystem;
  at: Date;
  door: 'rest' | 'grpc';
  action: 'C' | 'R' | 'U';
  /** '' = accepted; else the audit's outcome description ("http 422", ...). */
  refusal: string;
  /** Rules broken (ConformanceViolation events), with their issue counts. */
  violations?: Array<{ rule: string; issues: number; path: string }>;
}

/**
 * Turns scripted calls into the events the platform publishes, as the two doors audit them: a REST
 * call is recorded by the gateway (and again by the platform it was forwarded to, without a door:
 * noise the scorecards must ignore); a gRPC call refused at the front door by the gateway; a gRPC
 * call the door forwarded by the platform only, marked door "grpc". One ConformanceViolation per
 * broken rule, and redeliveries of events already sent.
 */
export class TrafficScript {
  readonly access: OutgoingMessage[] = [];
  readonly violations: OutgoingMessage[] = [];
  private readonly tallies = new Map<string, Tally>();
  private readonly patients = fakeNhsNumbers(20);

  constructor(
    private readonly accessTopic: string,
    private readonly violationTopic: string,
  ) {}

  tally(kind: 'system' | 'product-version', id: string, period: string): Tally {
    const key = `${kind}|${id}|${period}`;
    let t = this.tallies.get(key);
    if (!t) {
      t = emptyTally();
      this.tallies.set(key, t);
    }
    return t;
  }

  call(c: Call, period: string): void {
    const nhs = this.patients[this.access.length % this.patients.length]!;
    const outcome = c.refusal === '' ? '0' : c.refusal.startsWith('grpc 13') ? '8' : '4';
    const interaction =
      c.door === 'grpc' ? '/trellis.identity.v1.PatientService/GetPatient' : 'POST /fhir/Patient';
    const record = events.v1.AccessRecorded.fromPartial({
      auditId: randomUUID(),
      recordedAt: toTimestamp(c.at),
      action: c.action,
      outcome,
      outcomeDescription: c.refusal,
      interaction,
      systemId: c.system.systemId,
      odsCode: 'Y12345',
      region: 'north-east',
      patientNhsNumber: nhs,
      resourceType: 'Patient',
      sourceService: 'gateway',
      requiredScope: 'system/Patient.c',
      productVersionId: c.system.productVersionId,
    });
    const refusedAtDoor = /^(http 429|UNAUTHENTICATED|PERMISSION_DENIED)/.test(c.refusal);
    const forwardedByGrpcDoor = c.door === 'grpc' && !refusedAtDoor;
    const counted = forwardedByGrpcDoor
      ? { ...record, sourceService: 'identity', door: 'grpc' }
      : record;
    const message = accessMessage(this.accessTopic, counted, c.at);
    this.access.push(message);
    // noise: the platform audits a call the REST facade forwarded too (no door: not counted)
    if (c.door === 'rest' && !refusedAtDoor)
      this.access.push(
        accessMessage(
          this.accessTopic,
          { ...record, auditId: randomUUID(), sourceService: 'identity' },
          c.at,
        ),
      );
    // ... and every 7th event is delivered twice (same CloudEvents id)
    if (this.access.length % 7 === 0) this.access.push(message);

    for (const v of c.violations ?? []) {
      const msg = events.v1.ConformanceViolation.fromPartial({
        systemId: c.system.systemId,
        rule: v.rule,
        resourceType: 'Patient',
        interaction:
          c.door === 'grpc' ? '/trellis.identity.v1.PatientService/RegisterPatient' : 'create',
        expressions: Array.from({ length: v.issues }, () => v.path),
        count: v.issues,
        httpStatus: Number(c.refusal.replace(/\D/g, '')) || 422,
        occurredAt: toTimestamp(c.at),
        productVersionId: c.system.productVersionId,
      });
      this.violations.push({
        topic: this.violationTopic,
        key: c.system.systemId,
        value: events.v1.ConformanceViolation.encode(msg).finish(),
        headers: toCloudEventHeaders({
          id: randomUUID(),
          source: '/trellis/gateway',
          type: 'uk.nhs.trellis.gateway.ConformanceViolation.v1',
          time: c.at.toISOString(),
          subject: c.system.systemId,
          dataschema: 'proto:trellis.events.v1.ConformanceViolation',
          odscode: 'Y12345',
          region: 'north-east',
        }),
      });
    }

    for (const t of [
      this.tally('system', c.system.systemId, period),
      this.tally('product-version', c.system.productVersionId, period),
    ]) {
      t.requests++;
      if (outcome === '0') t.accepted++;
      else if (outcome === '8') t.errors++;
      else t.refused++;
      if (outcome !== '0') add(t.statuses, c.refusal);
      for (const v of c.violations ?? []) {
        t.violations++;
        const r = (t.rules[v.rule] ??= { requests: 0, issues: 0 });
        r.requests++;
        r.issues += v.issues;
      }
      if (c.refusal === 'http 429') {
        add(t.behaviours, 'rate-limited');
        const minute = Math.floor(c.at.getTime() / 60_000);
        add(t.rateLimited, `${c.system.systemId}|${minute}`);
      }
      if (c.refusal === 'http 428') add(t.behaviours, 'update-without-if-match');
      if (c.refusal === 'http 409' && c.action === 'C') add(t.behaviours, 'duplicate-create');
      if (c.refusal.includes('SYSTEM_SUSPENDED')) add(t.behaviours, 'call-after-suspension');
    }
  }
}

/** The retry behaviour a tally implies: rate-limited calls after the first in the same window. */
export function retriesBeforeRetryAfter(t: Tally): number {
  return Object.values(t.rateLimited).reduce((s, n) => s + Math.max(0, n - 1), 0);
}

function accessMessage(topic: string, record: events.v1.AccessRecorded, at: Date): OutgoingMessage {
  return {
    topic,
    key: record.patientNhsNumber || record.systemId,
    value: events.v1.AccessRecorded.encode(record).finish(),
    headers: toCloudEventHeaders({
      id: record.auditId,
      source: `/trellis/${record.sourceService}`,
      type: 'uk.nhs.trellis.audit.AccessRecorded.v1',
      time: at.toISOString(),
      subject: record.patientNhsNumber || record.systemId,
      dataschema: 'proto:trellis.events.v1.AccessRecorded',
      odscode: record.odsCode,
      region: record.region,
    }),
  };
}

/** A good and a bad supplier: the good product conforms, the bad one breaks rules in every way. */
export const GOOD: ScriptedSystem = {
  systemId: 'sys-good-practice',
  productVersionId: 'good-gp@3.1',
};
export const BAD_1: ScriptedSystem = {
  systemId: 'sys-bad-practice-1',
  productVersionId: 'bad-gp@2.0',
};
export const BAD_2: ScriptedSystem = {
  systemId: 'sys-bad-practice-2',
  productVersionId: 'bad-gp@2.0',
};

/**
 * `n` calls per system spread over the period starting at `start` (one hour): the good system's
 * calls are accepted but for a few 404s; the bad systems break validation rules, update without
 * If-Match, create duplicates, hammer through 429s and call while suspended.
 */
export function script(s: TrafficScript, start: Date, n: number, period: string): void {
  const at = (i: number): Date => new Date(start.getTime() + ((i * 3_541) % 3_590_000));
  for (let i = 0; i < n; i++) {
    const door = i % 3 === 0 ? 'grpc' : 'rest';
    s.call(
      { system: GOOD, at: at(i), door, action: 'R', refusal: i % 25 === 0 ? 'http 404' : '' },
      period,
    );
    for (const [j, bad] of [BAD_1, BAD_2].entries()) {
      const k = (i + j * 5) % 10;
      const c: Call = { system: bad, at: at(i + j), door, action: 'C', refusal: '' };
      if (k === 0)
        c.violations = [
          {
            rule: 'nhs-number.check-digit',
            issues: 1,
            path: "Patient.identifier.where(value='9990000018')",
          },
          { rule: 'fhir.structure', issues: 2, path: 'Patient.name[0].given' },
        ];
      if (k === 1)
        c.violations = [
          { rule: 'postcode.format', issues: 1, path: 'Patient.address[0].postalCode' },
        ];
      if (k === 0 || k === 1) c.refusal = 'http 422';
      if (k === 2) {
        c.action = 'U';
        c.refusal = 'http 428';
      }
      if (k === 3) c.refusal = 'http 409';
      if (k === 4) c.refusal = 'UNAUTHENTICATED: SYSTEM_SUSPENDED';
      if (k === 5) c.refusal = 'http 429';
      s.call(c, period);
      // a burst of retries inside the same rate-limit window
      if (k === 5) s.call({ ...c, at: new Date(c.at.getTime() + 10) }, period);
    }
  }
}
