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

/** CPU ms per group between two snapshots (a process that exited meanwhile counts 0). */
export function cpuDelta(before: Snapshot, groups: Groups): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, list] of Object.entries(groups)) {
    out[name] = list.reduce((a, pid) => {
      const t0 = before[name]?.get(pid);
      const t1 = cpuMs(pid);
      return t0 === undefined || t1 < t0 ? a : a + t1 - t0;
    }, 0);
  }
  return out;
}
