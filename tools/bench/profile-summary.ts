/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or the gateway bench's --prof-dir): the top
 * self-time frames, self time by owning package (native frames charged to the nearest JS frame
 * above them that belongs to a package), and inclusive time of frames matching a pattern.
 *
 *   node -r @swc-node/register tools/bench/profile-summary.ts <file.cpuprofile>
 *        [--top 25] [--from <s>] [--to <s>] [--grep <regex>]
 *
 * --from/--to keep only the samples in that window (seconds since the profile started), e.g. to leave
 * a process's boot out of a whole-life profile.
 */
import { readFileSync } from 'node:fs';

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: Frame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};

/** The package (or first-party area) a script URL belongs to. */
export function ownerOf(url: string): string {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node';
  const m = /\/(apps|libs|tools)\/([^/]+)\//.exec(url);
  if (m) return `${m[1]}/${m[2]}`;
  return url;
}

function main(): void {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: profile-summary.ts <file.cpuprofile> [--top N] [--from s] [--to s]');
    process.exit(2);
  }
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const top = Number(arg('top', '25'));
  const from = Number(arg('from', '0')) * 1e6;
  const to = Number(arg('to', 'Infinity')) * 1e6;
  const grep = arg('grep', '');
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<number, number>();
  let t = 0;
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    const dt = p.timeDeltas[i + 1] ?? 0;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt);
    total += dt;
  }
  const idle = [...self].reduce(
    (a, [id, v]) => (byId.get(id)!.callFrame.functionName === '(idle)' ? a + v : a),
    0,
  );
  const pct = (v: number) => `${((100 * v) / total).toFixed(1)} %`;
  const label = (f: Frame) =>
    `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.replace(/^.*node_modules\//, '').replace(/^.*\/(apps|libs)\//, '$1/')}:${f.lineNumber + 1}` : ''}`;

  const byFrame = new Map<string, number>();
  const byOwner = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const [id, v] of self) {
    const f = byId.get(id)!.callFrame;
    byFrame.set(label(f), (byFrame.get(label(f)) ?? 0) + v);
    // node: internals and native frames are charged to the nearest package that called them
    let owner = ownerOf(f.url) === 'node' ? '' : ownerOf(f.url);
    let cur: number | undefined = id;
    const seen = new Set<string>();
    while (cur !== undefined) {
      const cf = byId.get(cur)!.callFrame;
      const o = ownerOf(cf.url);
      if (!owner && o && o !== 'node') owner = o;
      if (grep && new RegExp(grep).test(label(cf)) && !seen.has(label(cf))) {
        seen.add(label(cf));
        incl.set(label(cf), (incl.get(label(cf)) ?? 0) + v);
      }
      cur = parent.get(cur);
    }
    if (!owner)
      owner = f.functionName.startsWith('(') ? f.functionName : f.url ? 'node' : '(native)';
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + v);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  console.log(
    `${file}: ${(total / 1e6).toFixed(1)} s sampled, idle ${pct(idle)}, busy ${((total - idle) / 1e6).toFixed(1)} s`,
  );
  console.log('\nself time by frame:');
  for (const [k, v] of sorted(byFrame)) console.log(`  ${pct(v).padStart(7)}  ${k}`);
  console.log(
    '\nself time by owner (node: and native frames charged to the nearest package above):',
  );
  for (const [k, v] of sorted(byOwner)) console.log(`  ${pct(v).padStart(7)}  ${k}`);
  if (grep) {
    console.log(`\ninclusive time of frames matching /${grep}/:`);
    for (const [k, v] of sorted(incl)) console.log(`  ${pct(v).padStart(7)}  ${k}`);
  }
}

main();
