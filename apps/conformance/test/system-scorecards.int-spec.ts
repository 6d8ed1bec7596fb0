// Per-system scorecards in pages and a region's compliance history (issue 20) against real
// PostgreSQL: the systems come from the suspension feed (region, product version), the figures
// from the counters of the page's systems only; an authority lists only its region's systems and
// reads the change log of the versions they deploy, paged by an (at, key) cursor.
import { SystemStatusRegistry } from '@trellis/auth';
import { testCaller } from '@trellis/auth/testing';
import { events } from '@trellis/contracts';
import { createPrismaClient } from '@trellis/database';
import { type Logger } from '@trellis/service-kit';
import { createTestSchema, type TestSchema } from '@trellis/testing';

import { type ConformanceConfig } from '../src/app/config';
import { addCounters } from '../src/app/counting/counters.repository';
import { deltasOfAccess, type CounterDelta } from '../src/app/counting/counters';
import { ComplianceRepository } from '../src/app/policy/compliance.repository';
import { ComplianceService } from '../src/app/policy/compliance.service';
import { RegionChangesService } from '../src/app/policy/region-changes.service';
import { PrismaClient } from '../src/app/prisma';
import { ScorecardsRepository } from '../src/app/scorecards/scorecards.repository';
import { SystemScorecardsService } from '../src/app/scorecards/system-scorecards.service';

const caller = (scopes: string[], region: string) =>
  testCaller({ systemId: 'caller', odsCode: 'X26', scopes, region });
const OPERATOR = caller(['trellis/admin'], 'london');
const NORTH_EAST = caller(
  ['system/MeasureReport.rs', 'region/north-east/scorecards.read'],
  'north-east',
);
const silent = { info: () => undefined, error: () => undefined } as unknown as Logger;

describe('per-system scorecards and a region’s compliance history (real PostgreSQL)', () => {
  let schema: TestSchema;
  let prisma: PrismaClient;
  let compliance: ComplianceService;
  let cards: SystemScorecardsService;
  let changes: RegionChangesService;
  const registry = new SystemStatusRegistry();
  const end = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 60_000);
  const start = new Date(end.getTime() - 24 * 3600_000);

  beforeAll(async () => {
    schema = await createTestSchema('conformance');
    prisma = createPrismaClient(PrismaClient, { url: schema.url, schema: schema.schema });
    compliance = new ComplianceService(
      { CONFORMANCE_COMPLIANCE_TOPIC: 'trellis.test.compliance.v1' } as ConformanceConfig,
      silent,
      new ComplianceRepository(prisma),
    );
    cards = new SystemScorecardsService(new ScorecardsRepository(prisma), compliance, registry);
    changes = new RegionChangesService(new ComplianceRepository(prisma), registry);
    // 3 north-east systems (two of acme@1, one of acme@2), 2 in london (beta@1), one never called
    const systems: Array<[string, string, string]> = [
      ['ne-a', 'north-east', 'acme@1'],
      ['ne-b', 'north-east', 'acme@1'],
      ['ne-c', 'north-east', 'acme@2'],
      ['ldn-a', 'london', 'beta@1'],
      ['ldn-b', 'london', 'beta@1'],
    ];
    for (const [systemId, region, productVersionId] of systems)
      registry.apply({ systemId, status: 'active', version: 1, region, productVersionId });
    const deltas: CounterDelta[] = [];
    const call = (systemId: string, pv: string, refused: boolean, minutesAgo: number) => {
      const at = new Date(Date.now() - minutesAgo * 60_000);
      deltas.push(
        ...deltasOfAccess(
          events.v1.AccessRecorded.fromPartial({
            recordedAt: { seconds: Math.floor(at.getTime() / 1000), nanos: 0 },
            outcome: refused ? '4' : '0',
            outcomeDescription: refused ? 'http 422' : '',
            interaction: 'POST /fhir/Patient',
            systemId,
            sourceService: 'gateway',
            productVersionId: pv,
          }),
          'gateway',
          at,
        ),
      );
    };
    for (let i = 0; i < 4; i++) call('ne-a', 'acme@1', i === 0, 5 + i); // 3 of 4 accepted
    call('ne-b', 'acme@1', true, 10); // 0 of 1
    for (let i = 0; i < 2; i++) call('ldn-a', 'beta@1', false, 20);
    call('ne-a', 'acme@1', true, 26 * 60); // before the period: not counted
    await prisma.$transaction((tx) => addCounters(tx, deltas));
    // change logs: acme@1 (north-east) overridden twice, beta@1 (london) once
    for (const [pv, reason] of [
      ['acme@1', 'first override of acme'],
      ['beta@1', 'override of beta'],
      ['acme@1', 'second override of acme'],
    ] as const)
      await compliance.override(pv, reason, 1, OPERATOR);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await schema?.drop();
  });

  const query = { systemIds: [], periodStart: start, periodEnd: end, pageToken: '' };

  it('an authority pages through its region’s systems with each one’s own rate', async () => {
    const first = await cards.list({ ...query, region: 'north-east', pageSize: 2 }, NORTH_EAST);
    expect(first.total).toBe(3);
    expect(first.cards.map((c) => [c.systemId, c.judged, c.current.conformanceRate])).toEqual([
      ['ne-a', 4, 0.75],
      ['ne-b', 1, 0],
    ]);
    expect(first.cards[0]).toMatchObject({
      region: 'north-east',
      productVersionId: 'acme@1',
      compliance: { state: 'compliant', overrideReason: 'second override of acme' },
    });
    const second = await cards.list(
      { ...query, region: 'north-east', pageSize: 2, pageToken: first.next },
      NORTH_EAST,
    );
    expect(second.cards.map((c) => [c.systemId, c.judged, c.countedUntil])).toEqual([
      ['ne-c', 0, null],
    ]);
    expect(second.next).toBe('');
  });

  it('another region or every system is refused to the authority; the operator lists all or some', async () => {
    await expect(
      cards.list({ ...query, region: 'london', pageSize: 0 }, NORTH_EAST),
    ).rejects.toThrow(/region london/);
    await expect(cards.list({ ...query, region: '', pageSize: 0 }, NORTH_EAST)).rejects.toThrow();
    const all = await cards.list({ ...query, region: '', pageSize: 0 }, OPERATOR);
    expect(all.cards.map((c) => c.systemId)).toEqual(['ldn-a', 'ldn-b', 'ne-a', 'ne-b', 'ne-c']);
    // one call for the rows of a table page: only the systems named
    const some = await cards.list(
      { ...query, region: '', pageSize: 0, systemIds: ['ne-b', 'ldn-a', 'unknown'] },
      OPERATOR,
    );
    expect(some.cards.map((c) => [c.systemId, c.current.accepted])).toEqual([
      ['ldn-a', 2],
      ['ne-b', 0],
    ]);
    // an authority naming another region's system gets nothing of it
    const mine = await cards.list(
      { ...query, region: 'north-east', pageSize: 0, systemIds: ['ldn-a', 'ne-a'] },
      NORTH_EAST,
    );
    expect(mine.cards.map((c) => c.systemId)).toEqual(['ne-a']);
  });

  it('a region’s compliance history: only its systems’ versions, newest first, cursor-paged', async () => {
    const page1 = await changes.list(
      { region: 'north-east', pageSize: 1, before: undefined, beforeKey: '' },
      NORTH_EAST,
    );
    expect(page1.map((c) => [c.productVersionId, c.version, c.reason])).toEqual([
      ['acme@1', 2, 'second override of acme'],
    ]);
    expect(page1[0]!.systemIds).toEqual(['ne-a', 'ne-b']);
    expect(page1[0]!.key).toBe('acme@1#0000000002');
    const page2 = await changes.list(
      { region: 'north-east', pageSize: 5, before: page1[0]!.at, beforeKey: page1[0]!.key },
      NORTH_EAST,
    );
    expect(page2.map((c) => [c.productVersionId, c.version])).toEqual([['acme@1', 1]]);
    await expect(
      changes.list({ region: 'london', pageSize: 0, before: undefined, beforeKey: '' }, NORTH_EAST),
    ).rejects.toThrow(/region london/);
    const london = await changes.list(
      { region: 'london', pageSize: 0, before: undefined, beforeKey: '' },
      OPERATOR,
    );
    expect(london.map((c) => c.reason)).toEqual(['override of beta']);
  });
});
