/**
 * CPU accounting from /proc: per process (utime + stime), PostgreSQL backends attributed to the
 * client process that owns the other end of their socket, and the machine's busy share.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const TICK_MS = 10; // CLK_TCK 100 on Linux

/** utime + stime of one process in ms; 0 when it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Node processes of this checkout's services (apps/<name>/src/main.ts), by service name. */
export function trellisServices(root: string): Map<number, string> {
  const found = new Map<number, string>();
  for (const pid of pids()) {
    const cmd = read(`/proc/${pid}/cmdline`).split('\0');
    const entry = cmd.find((a) => a.startsWith(`${root}/apps/`) && a.endsWith('/src/main.ts'));
    const name = entry?.slice(root.length + 6).split('/')[0];
    if (name) found.set(pid, name);
  }
  return found;
}

/** The Kafka broker(s) on this machine (shared by every helper). */
export function kafkaPids(): number[] {
  return pids().filter((pid) => read(`/proc/${pid}/cmdline`).includes('kafka.Kafka'));
}

/** Socket inodes held by a process. */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.add(m[1]!);
      } catch {
        /* closed meanwhile */
      }
    }
  } catch {
    /* gone */
  }
  return out;
}

/** Local TCP port → socket inode, for every IPv4/IPv6 socket on the machine. */
function portInodes(): Map<number, string> {
  const map = new Map<number, string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of read(file).split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const port = parseInt(f[1]!.split(':').pop()!, 16);
      map.set(port, f[9]!);
    }
  }
  return map;
}

/**
 * PostgreSQL backends grouped by the client that owns them: a backend's title names the client's
 * port ("postgres: 15/main: user db 127.0.0.1(54321) idle"); the client process holding that
 * port's socket is the owner. Backends of other clients (other helpers) fall in `other`, with the
 * server's own processes (WAL writer, checkpointer, autovacuum).
 */
export function postgresByClient(clients: Record<string, number[]>): Map<string, number[]> {
  const ports = portInodes();
  const owner = new Map<string, string>();
  for (const [group, list] of Object.entries(clients)) {
    for (const pid of list) for (const inode of socketInodes(pid)) owner.set(inode, group);
  }
  const groups = new Map<string, number[]>();
  for (const pid of pids()) {
    if (read(`/proc/${pid}/comm`).trim() !== 'postgres') continue;
    const title = read(`/proc/${pid}/cmdline`).replace(/\0/g, ' ');
    const m = /\((\d+)\)/.exec(title);
    const inode = m ? ports.get(Number(m[1])) : undefined;
    const group = (inode && owner.get(inode)) || 'other';
    groups.set(group, [...(groups.get(group) ?? []), pid]);
  }
  return groups;
}

/** Busy and total jiffies of the whole machine (/proc/stat, first line). */
export function machineJiffies(): { busy: number; total: number } {
  const f = read('/proc/stat').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

/** Named groups of processes. */
export type Groups = Record<string, number[]>;
export type Snapshot = Record<string, Map<number, number>>;

export function snapshot(groups: Groups): Snapshot {
  const out: Snapshot = {};
  for (const [name, list] of Object.entries(groups)) {
    out[name] = new Map(list.map((pid) => [pid, cpuMs(pid)]));
  }
  return out;
}

/** Start of a process in ms since boot (/proc/<pid>/stat field 22); NaN when it is gone. */
function startedMs(pid: number): number {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return NaN;
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) * TICK_MS;
}

function uptimeMs(): number {
  return Number(read('/proc/uptime').split(' ')[0]) * 1000;
}

/**
 * CPU ms of named process groups over a window, following the processes that join a group or
 * exit inside it: the groups are resolved again at every sample, a process started inside the
 * window counts from 0, and one that exits counts up to its last sample. A pooled PostgreSQL
 * connection closed while idle (pg-pool closes them after 10 s, e.g. during the other server's
 * rounds) and reopened during a round is a new backend, which a membership taken once at the
 * start would miss. The tracker's own CPU in this process is kept in `ownCpuMs`, for the caller
 * to leave out of this process's figure.
 */
export class GroupCpuTracker {
  private readonly first = new Map<string, Map<number, number>>();
  private readonly last = new Map<string, Map<number, number>>();
  private windowStartMs = 0;
  private timer: NodeJS.Timeout | undefined;
  ownCpuMs = 0;
  /** Processes started inside the window, per group (e.g. PostgreSQL connections reopened). */
  readonly startedInside: Record<string, number> = {};

  constructor(
    private readonly resolve: () => Groups,
    private readonly everyMs = 1000,
  ) {}

  start(): void {
    this.windowStartMs = uptimeMs();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  /** Stops sampling and answers each group's CPU ms over the window. */
  stop(): Record<string, number> {
    clearInterval(this.timer);
    this.sample();
    const out: Record<string, number> = {};
    for (const [group, last] of this.last) {
      const first = this.first.get(group)!;
      out[group] = [...last].reduce((a, [pid, t]) => a + Math.max(t - first.get(pid)!, 0), 0);
    }
    return out;
  }

  private sample(): void {
    const t0 = process.cpuUsage();
    for (const [group, pidList] of Object.entries(this.resolve())) {
      const first = this.first.get(group) ?? new Map<number, number>();
      const last = this.last.get(group) ?? new Map<number, number>();
      this.first.set(group, first);
      this.last.set(group, last);
      for (const pid of pidList) {
        const t = cpuMs(pid);
        if (t === 0 && !last.has(pid)) continue; // gone before it was ever seen
        if (!first.has(pid)) {
          const inside = startedMs(pid) >= this.windowStartMs;
          first.set(pid, inside ? 0 : t);
          if (inside) this.startedInside[group] = (this.startedInside[group] ?? 0) + 1;
        }
        if (t >= (last.get(pid) ?? 0)) last.set(pid, t);
      }
    }
    const used = process.cpuUsage(t0);
    this.ownCpuMs += (used.user + used.system) / 1000;
  }
}
