/** Runs wrk (its own process: the one load generator for both servers) and reads its JSON line. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(__dirname, 'requests.lua');

export interface WrkResult {
  requests: number;
  durationUs: number;
  bytes: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  /** responses outside 2xx/3xx */
  statusErrors: number;
  timeouts: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
  /** wrk's own CPU (read from /proc/self/stat when it finished) */
  wrkCpuMs: number;
  /** the first few answers > 399 of each wrk thread: status, a space, the start of the body */
  failedSamples: string[];
}

const SETUP = join(__dirname, '../../../setup/wrk.sh');

function hasWrk(): boolean {
  return !spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error;
}

/** Installs wrk when missing (tools/setup/wrk.sh: Debian's package, as root) and checks it runs. */
export function ensureWrk(): void {
  if (hasWrk()) return;
  process.stderr.write('wrk is missing: installing it (tools/setup/wrk.sh)…\n');
  const r = spawnSync('bash', [SETUP], { stdio: 'inherit' });
  if (r.status !== 0 || !hasWrk()) {
    throw new Error(
      `wrk is not installed and tools/setup/wrk.sh failed (exit ${r.status}): apt-get install -y wrk`,
    );
  }
}

export interface WrkRun {
  baseUrl: string;
  linesFile: string;
  method: 'GET' | 'POST';
  /** path of every POST (GET lines are paths) */
  postPath?: string;
  headers: Record<string, string>;
  connections: number;
  threads: number;
  seconds: number;
  /** called with wrk's pid once it runs (CPU accounting) */
  onStart?: (pid: number) => void;
}

export function runWrk(run: WrkRun): Promise<WrkResult> {
  const args = [
    `-t${run.threads}`,
    `-c${run.connections}`,
    `-d${run.seconds}s`,
    '--timeout',
    '30s',
    '-s',
    SCRIPT,
    run.baseUrl,
    '--',
    run.linesFile,
    run.method,
    run.postPath ?? '/',
    String(run.threads),
    ...Object.entries(run.headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (p.pid) run.onStart?.(p.pid);
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => {
      const line = out
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      if (code !== 0 || !line) {
        reject(new Error(`wrk exited ${code}: ${err.trim() || out.trim()}`));
        return;
      }
      resolve(JSON.parse(line) as WrkResult);
    });
  });
}
