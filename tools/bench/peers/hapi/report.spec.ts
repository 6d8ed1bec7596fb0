import { renderGrowth, type RoundResult } from './report';

const round = (
  op: string,
  p50Ms: number,
  p99Ms: number,
  rps: number,
  load1: number,
  target: RoundResult['target'] = 'trellis',
): RoundResult => ({
  op,
  target,
  round: 1,
  rps,
  p50Ms,
  p99Ms,
  requests: rps * 20,
  errors: 0,
  cpuUs: { pgTrellis: p50Ms * 10 },
  busyPct: 90,
  load1,
});

describe('renderGrowth', () => {
  // alternated runs: small, large, small, large, small, large (one round each)
  const runs = [
    { patients: 100_000, results: [round('read', 50, 200, 1000, 15.2)] },
    { patients: 909_091, results: [round('read', 60, 260, 900, 16.0)] },
    { patients: 100_000, results: [round('read', 40, 100, 1100, 14.1)] },
    { patients: 909_091, results: [round('read', 44, 110, 1050, 14.9)] },
    { patients: 100_000, results: [round('read', 45, 150, 800, 18.0)] },
    {
      patients: 909_091,
      results: [round('read', 55, 180, 950, 17.3), round('read', 999, 999, 1, 1, 'hapi')],
    },
  ];
  const out = renderGrowth(runs);
  const row = (label: string): string[] =>
    out
      .split('\n')
      .find((l) => l.startsWith(`| ${label} `))!
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());

  it('lists every Trellis round in the order run, with the load it started at', () => {
    const rounds = out.split('\n').filter((l) => /^\| (100,000|909,091) /.test(l));
    expect(rounds.map((l) => l.split('|')[3]!.trim())).toEqual([
      '15.2',
      '16.0',
      '14.1',
      '14.9',
      '18.0',
      '17.3',
    ]);
  });

  it('gives each size its medians and their ratio to the smallest size', () => {
    expect(row('read — 100,000')).toEqual([
      'read — 100,000',
      '3',
      '1,000',
      '45.0',
      '150.0',
      '450',
      '1.00×',
      '1.00×',
      '1.00×',
      '1.00×',
    ]);
    // medians at 909,091: p50 55, p99 180, PostgreSQL 550 µs, 950 req/s → 55/45, 180/150, 550/450, 950/1000
    expect(row('read — 909,091')).toEqual([
      'read — 909,091',
      '3',
      '950',
      '55.0',
      '180.0',
      '550',
      '1.22×',
      '1.20×',
      '1.22×',
      '0.95×',
    ]);
  });

  it("shows a statement's sub-millisecond latencies and its backend's CPU", () => {
    const statement = (patients: number, p50Ms: number, pgStatement: number) => ({
      patients,
      results: [{ ...round('statement', p50Ms, p50Ms * 4, 2000, 14), cpuUs: { pgStatement } }],
    });
    const text = renderGrowth([statement(100_000, 0.123, 80), statement(909_091, 0.135, 88)]);
    const line = text.split('\n').find((l) => l.startsWith('| statement — 909,091 '))!;
    expect(line.split('|').map((c) => c.trim())).toEqual(
      expect.arrayContaining(['0.135', '0.540', '88', '1.10×']),
    );
  });

  it('leaves rounds of other servers out', () => {
    expect(out).not.toContain('999.0');
  });
});
