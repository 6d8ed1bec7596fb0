/** The bench's printed table: every round, medians, Trellis/HAPI ratios, CPU per request. */

export type Target = 'trellis' | 'hapi' | 'hapi-no-store';

export interface RoundResult {
  op: string;
  target: Target;
  round: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  /** CPU µs per request, by process group */
  cpuUs: Record<string, number>;
  /** share of both cores busy during the round (all processes on the machine) */
  busyPct: number;
  /** the machine's 1-minute load average as the round started (absent in older --out files) */
  load1?: number;
}

/** One run's --out file, as `--growth` reads it: the run's size and its rounds. */
export interface SizedRun {
  patients: number;
  results: RoundResult[];
}

export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const LABEL: Record<Target, string> = {
  trellis: 'Trellis',
  hapi: 'HAPI',
  'hapi-no-store': 'HAPI no-store',
};

/** CPU groups shown per target (the others are background for that target's rounds). */
export const CPU_GROUPS: Record<'trellis' | 'hapi', string[]> = {
  trellis: ['gateway', 'identity', 'otherTrellis', 'pgTrellis', 'kafka', 'wrk'],
  hapi: ['jvm', 'pgHapi', 'wrk'],
};

/** Not in a server's total: the load generator, and the broker every helper shares. */
const SHARED = ['wrk', 'kafka'];

const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '—';

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const sep = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(header), sep, ...rows.map(line)].join('\n');
}

export function render(results: RoundResult[], meta: Record<string, string>): string {
  const out: string[] = [];
  out.push(
    Object.entries(meta)
      .map(([k, v]) => `- ${k}: ${v}`)
      .join('\n'),
    '',
  );
  const ops = [...new Set(results.map((r) => r.op))];
  const rows: string[][] = [];
  for (const op of ops) {
    const targets = [...new Set(results.filter((r) => r.op === op).map((r) => r.target))];
    for (const t of targets) {
      const rs = results.filter((r) => r.op === op && r.target === t);
      const rounds = rs.map((r) => `${fmt(r.rps)} (${fmt(r.p50Ms, 1)}/${fmt(r.p99Ms, 1)})`);
      rows.push([
        `${op} — ${LABEL[t]}`,
        rounds.join(', '),
        fmt(median(rs.map((r) => r.rps))),
        fmt(median(rs.map((r) => r.p50Ms)), 1),
        fmt(median(rs.map((r) => r.p99Ms)), 1),
        fmt(rs.reduce((a, r) => a + r.errors, 0)),
        fmt(median(rs.map((r) => r.busyPct))),
      ]);
    }
  }
  out.push(
    table(
      [
        'operation — server',
        'req/s per round (p50/p99 ms)',
        'median req/s',
        'p50 ms',
        'p99 ms',
        'non-2xx/errors',
        'CPU busy %',
      ],
      rows,
    ),
    '',
  );
  const ratios: string[][] = [];
  for (const op of ops) {
    const m = (t: Target): number =>
      median(results.filter((r) => r.op === op && r.target === t).map((r) => r.rps));
    const trellis = m('trellis');
    for (const peer of ['hapi', 'hapi-no-store'] as const) {
      const h = m(peer);
      if (Number.isFinite(h) && Number.isFinite(trellis)) {
        ratios.push([`${op}: Trellis / ${LABEL[peer]}`, `${fmt(trellis / h, 2)}×`]);
      }
    }
  }
  out.push(table(['ratio (median req/s)', 'Trellis/HAPI'], ratios), '');
  const cpuRows: string[][] = [];
  const groups = [...CPU_GROUPS.trellis, ...CPU_GROUPS.hapi.filter((g) => g !== 'wrk')];
  for (const op of ops) {
    for (const t of [...new Set(results.filter((r) => r.op === op).map((r) => r.target))]) {
      const rs = results.filter((r) => r.op === op && r.target === t);
      const own = CPU_GROUPS[t === 'trellis' ? 'trellis' : 'hapi'];
      const cells = groups.map((g) =>
        own.includes(g) ? fmt(median(rs.map((r) => r.cpuUs[g] ?? NaN))) : '',
      );
      const total = median(
        rs.map((r) =>
          own.filter((g) => !SHARED.includes(g)).reduce((a, g) => a + (r.cpuUs[g] || 0), 0),
        ),
      );
      cpuRows.push([`${op} — ${LABEL[t]}`, ...cells, fmt(total)]);
    }
  }
  out.push(
    'CPU µs per request (medians of the rounds; "server total" excludes wrk and the shared Kafka broker):',
    '',
    table(['operation — server', ...groups, 'server total'], cpuRows),
  );
  return out.join('\n');
}

/** Milliseconds: three decimals below 1 ms (a single SQL statement), one above. */
const fmtMs = (ms: number): string => fmt(ms, ms < 1 ? 3 : 1);

/** PostgreSQL CPU per request: the Trellis backends of a wrk round, or the statement's backend. */
const pgUs = (r: RoundResult): number => r.cpuUs['pgTrellis'] ?? r.cpuUs['pgStatement'] ?? NaN;

/**
 * Latency growth with data size, from runs of Trellis alone at two or more sizes (--growth): every
 * measured round in the order the runs were given (so alternated sizes show as such, with the load
 * each round started at), the medians per operation and size, and the ratio of each size's
 * medians to the smallest size's.
 */
export function renderGrowth(runs: SizedRun[]): string {
  const rounds = runs.flatMap((run) =>
    run.results
      .filter((r) => r.target === 'trellis')
      .map((r) => ({ ...r, patients: run.patients })),
  );
  const sizes = [...new Set(rounds.map((r) => r.patients))].sort((a, b) => a - b);
  const ops = [...new Set(rounds.map((r) => r.op))];
  const roundRows = rounds.map((r) => [
    fmt(r.patients),
    r.op,
    r.load1 === undefined ? '—' : fmt(r.load1, 1),
    fmt(r.rps),
    fmtMs(r.p50Ms),
    fmtMs(r.p99Ms),
    fmt(pgUs(r)),
    fmt(r.errors),
    fmt(r.busyPct),
  ]);
  const medianRows: string[][] = [];
  for (const op of ops) {
    const of = (size: number) => rounds.filter((r) => r.op === op && r.patients === size);
    const base = of(sizes[0]!);
    for (const size of sizes) {
      const rs = of(size);
      if (rs.length === 0) continue;
      const m = (pick: (r: RoundResult) => number, from = rs): number => median(from.map(pick));
      const growth = (pick: (r: RoundResult) => number): string =>
        `${fmt(m(pick) / m(pick, base), 2)}×`;
      medianRows.push([
        `${op} — ${fmt(size)}`,
        fmt(rs.length),
        fmt(m((r) => r.rps)),
        fmtMs(m((r) => r.p50Ms)),
        fmtMs(m((r) => r.p99Ms)),
        fmt(m(pgUs)),
        growth((r) => r.p50Ms),
        growth((r) => r.p99Ms),
        growth(pgUs),
        growth((r) => r.rps),
      ]);
    }
  }
  const roundHeader = ['patients', 'operation', 'load', 'req/s', 'p50 ms', 'p99 ms'];
  const medianHeader = ['operation — patients', 'rounds', 'req/s', 'p50 ms', 'p99 ms'];
  return [
    table([...roundHeader, 'PostgreSQL µs/req', 'non-2xx/errors', 'CPU busy %'], roundRows),
    '',
    `Medians per size; growth = this size's median / the ${fmt(sizes[0]!)}-patient median:`,
    '',
    table(
      [
        ...medianHeader,
        'PostgreSQL µs/req',
        'p50 growth',
        'p99 growth',
        'PostgreSQL growth',
        'req/s ratio',
      ],
      medianRows,
    ),
  ].join('\n');
}
