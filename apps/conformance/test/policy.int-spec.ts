// The compliance policy against real PostgreSQL: counters over the thresholds warn, enforce after
// the grace period, the operator overrides, the rate recovers — each step a state, a change-log
// row and an event in the outbox, in one transaction; a second evaluator holding no lock decides
// nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { testCaller } from '@trellis/auth/testing';
import { events } from '@trellis/contracts';
import { createPrismaClient } from '@trellis/database';
import { type Logger } from '@trellis/service-kit';
import { createTestSchema, type TestSchema } from '@trellis/testing';

import { addCounters } from '../src/app/counting/counters.repository';
import { deltasOfAccess, deltasOfViolation, type CounterDelta } from '../src/app/counting/counters';
import { type ConformanceConfig } from '../src/app/config';
import { ComplianceRepository } from '../src/app/policy/compliance.repository';
import { ComplianceService } from '../src/app/policy/compliance.service';
import { PrismaClient } from '../src/app/prisma';

const PV = 'bad-gp@2.0';
const OPERATOR = testCaller({
  systemId: 'operator',
  odsCode: 'X26',
  region: 'london',
  scopes: ['trellis/admin'],
});
const silent = { info: () => undefined, error: () => undefined } as unknown as Logger;

describe('compliance policy (real PostgreSQL)', () => {
  let schema: TestSchema;
  let prisma: PrismaClient;
  let dir: string;
  let service: ComplianceService;

  beforeAll(async () => {
    schema = await createTestSchema('conformance');
    prisma = createPrismaClient(PrismaClient, { url: schema.url, schema: schema.schema });
    dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const file = join(dir, 'policy.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 'test-policy-7',
        thresholds: {
          error: {
            windowMinutes: 10,
            minRequests: 10,
            warnAbove: 0.1,
            enforceAbove: 0.3,
            graceMinutes: 2,
            recoverAtOrBelow: 0.05,
            minEnforcedMinutes: 1,
          },
        },
      }),
    );
    service = new ComplianceService(
      {
        CONFORMANCE_POLICY_FILE: file,
        CONFORMANCE_COMPLIANCE_TOPIC: 'trellis.test.compliance.v1',
      } as ConformanceConfig,
      silent,
      new ComplianceRepository(prisma),
    );
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `total` calls of the bad product at `at`, `bad` of them refused for a rule. */
  async function traffic(at: Date, total: number, bad: number): Promise<void> {
    const deltas: CounterDelta[] = [];
    for (let i = 0; i < total; i++) {
      const refused = i < bad;
      deltas.push(
        ...deltasOfAccess(
          events.v1.AccessRecorded.fromPartial({
            recordedAt: { seconds: Math.floor(at.getTime() / 1000), nanos: 0 },
            outcome: refused ? '4' : '0',
            outcomeDescription: refused ? 'http 422' : '',
            interaction: 'POST /fhir/Patient',
            systemId: `sys-${i % 3}`,
            sourceService: 'gateway',
            productVersionId: PV,
          }),
          'gateway',
          at,
        ),
      );
      if (refused)
        deltas.push(
          ...deltasOfViolation(
            events.v1.ConformanceViolation.fromPartial({
              systemId: `sys-${i % 3}`,
              rule: 'nhs-number.check-digit',
              interaction: 'create',
              expressions: ['Patient.identifier[0].value'],
              count: 1,
              httpStatus: 422,
              occurredAt: { seconds: Math.floor(at.getTime() / 1000), nanos: 0 },
              productVersionId: PV,
            }),
            at,
          ),
        );
    }
    await prisma.$transaction((tx) => addCounters(tx, deltas));
  }

  const outbox = async () =>
    (
      await prisma.$queryRaw<Array<{ ce_type: string; key: string; payload: Uint8Array }>>`
        SELECT ce_type, key, payload FROM outbox_events ORDER BY seq`
    ).map((r) => ({ type: r.ce_type.split('.').at(-2), key: r.key, payload: r.payload }));

  it('warns, enforces after the grace period, is overridden, then recovers — every step an event', async () => {
    const t0 = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000);
    const at = (m: number) => new Date(t0.getTime() + m * 60_000);

    await traffic(at(0), 40, 20); // 50 % refused for an error rule
    const warned = await service.sweep(at(0.5));
    expect(warned.map((d) => d.decision.kind)).toEqual(['warn']);
    expect(await service.sweep(at(1))).toEqual([]); // within the grace period: nothing
    const enforced = await service.sweep(at(2.6));
    expect(enforced.map((d) => d.decision.kind)).toEqual(['enforce']);

    const state = await service.stateOf(PV);
    expect(state).toMatchObject({
      state: 'enforced',
      severity: 'error',
      policyVersion: 'test-policy-7',
    });

    const overridden = await service.override(
      PV,
      'supplier hotfix 2.0.1 deployed, verified',
      2,
      OPERATOR,
    );
    expect(overridden).toMatchObject({
      state: 'compliant',
      overrideReason: 'supplier hotfix 2.0.1 deployed, verified',
      overrideBy: 'operator',
    });
    await expect(
      service.override(PV, 'x', 2, { ...OPERATOR, scopes: ['system/MeasureReport.rs'] }),
    ).rejects.toMatchObject({ kind: 'PERMISSION_DENIED' });
    await expect(service.override(PV, 'no', 2, OPERATOR)).rejects.toMatchObject({
      kind: 'INVALID_ARGUMENT',
    });

    // still over the threshold: warned again, but no enforcement while the override holds
    expect((await service.sweep(at(3))).map((d) => d.decision.kind)).toEqual(['warn']);
    expect(await service.sweep(at(6))).toEqual([]);

    // the supplier fixes it: good traffic outweighs the old refusals in the window
    await traffic(at(7), 1000, 0);
    expect((await service.sweep(at(8))).map((d) => d.decision.kind)).toEqual(['restore']);

    const published = await outbox();
    expect(published.map((e) => [e.type, e.key])).toEqual([
      ['ComplianceWarning', PV],
      ['ComplianceEnforced', PV],
      ['ComplianceRestored', PV],
      ['ComplianceWarning', PV],
      ['ComplianceRestored', PV],
    ]);
    const enforcedEvent = events.v1.ComplianceEnforced.decode(published[1]!.payload);
    expect(enforcedEvent.finding).toMatchObject({
      productVersionId: PV,
      severity: 'error',
      rate: 0.5,
      requests: 40,
      threshold: 0.3,
      policyVersion: 'test-policy-7',
      topRules: ['nhs-number.check-digit'],
    });
    const override = events.v1.ComplianceRestored.decode(published[2]!.payload);
    expect(override).toMatchObject({
      cause: events.v1.ComplianceRestoreCause.COMPLIANCE_RESTORE_CAUSE_OPERATOR_OVERRIDE,
      reason: 'supplier hotfix 2.0.1 deployed, verified',
      writesWereRestricted: true,
    });
    const changes = await prisma.complianceChange.findMany({ orderBy: { version: 'asc' } });
    expect(changes.map((c) => [c.version, c.fromState, c.toState, c.cause])).toEqual([
      [1, 'compliant', 'warned', 'warn'],
      [2, 'warned', 'enforced', 'enforce'],
      [3, 'enforced', 'compliant', 'operator-override'],
      [4, 'compliant', 'warned', 'warn'],
      [5, 'warned', 'compliant', 'restore'],
    ]);

    // the change log as readers see it: newest first, paged, the operator or the version's own
    const first = await service.changes(PV, OPERATOR, 2, '');
    expect(first.changes.map((c) => [c.version, c.cause])).toEqual([
      [5, 'restore'],
      [4, 'warn'],
    ]);
    const second = await service.changes(PV, OPERATOR, 2, first.next);
    expect(second.changes.map((c) => [c.version, c.toState, c.actor, c.reason])).toEqual([
      [3, 'compliant', 'operator', 'supplier hotfix 2.0.1 deployed, verified'],
      [2, 'enforced', 'conformance-policy', null],
    ]);
    const last = await service.changes(PV, OPERATOR, 2, second.next);
    expect(last.changes.map((c) => c.version)).toEqual([1]);
    expect(last.next).toBe('');
    const own = { ...OPERATOR, scopes: ['system/MeasureReport.rs'], productVersionId: PV };
    expect((await service.changes(PV, own, 0, '')).changes).toHaveLength(5);
    await expect(
      service.changes(PV, { ...own, productVersionId: 'other@1.0' }, 0, ''),
    ).rejects.toMatchObject({ kind: 'PERMISSION_DENIED' });
    await expect(service.changes(PV, OPERATOR, 0, 'x1')).rejects.toMatchObject({
      kind: 'INVALID_ARGUMENT',
    });
    await expect(service.changes(PV, OPERATOR, 500, '')).rejects.toMatchObject({
      kind: 'INVALID_ARGUMENT',
    });
  });

  it('one evaluator at a time: a sweep that cannot take the lock decides nothing', async () => {
    await prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 AS held FROM pg_advisory_xact_lock(hashtextextended('trellis.conformance.policy', 0))`;
      await traffic(new Date(), 40, 40);
      // another connection's sweep
      const other = createPrismaClient(PrismaClient, { url: schema.url, schema: schema.schema });
      try {
        const blocked = new ComplianceService(
          { CONFORMANCE_COMPLIANCE_TOPIC: 't' } as ConformanceConfig,
          silent,
          new ComplianceRepository(other),
        );
        expect(await blocked.sweep(new Date())).toEqual([]);
      } finally {
        await other.$disconnect();
      }
    });
  });
});
