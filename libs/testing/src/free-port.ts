import { createServer } from 'node:net';

/**
 * Ports handed to services a suite starts later (a gateway told where notifications will listen
 * before notifications has bound). A port the kernel chose for `listen(0)` lies in its ephemeral
 * range (32768–60999 on Linux), where every other process binding port 0 — the stack's own
 * services, another Jest worker's — can take it in the seconds before our child binds it; the
 * child then fails to bind while the readiness probe finds the other server (calls answered
 * UNIMPLEMENTED). So the ports come from below that range, one slice per Jest worker, each
 * checked free when handed out.
 */
const FIRST = 20_000;
const SLICE = 2_000;
const SLICES = 6;

/** The ports a worker hands out: its own slice, so two workers never offer the same port. */
export function portSlice(workerId: string | undefined): { first: number; last: number } {
  const worker = Number.parseInt(workerId ?? '1', 10);
  const index = (Number.isFinite(worker) && worker > 0 ? worker - 1 : 0) % SLICES;
  const first = FIRST + index * SLICE;
  return { first, last: first + SLICE - 1 };
}

// Module state is per test file (Jest resets modules), so the start is random: a suite does not
// offer the ports the worker's previous suite gave its children, which may still be stopping.
let next: number | undefined;

function candidate(slice: { first: number; last: number }): number {
  next ??= slice.first + Math.floor(Math.random() * SLICE);
  const port = next > slice.last ? slice.first : next;
  next = port + 1;
  return port;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((answer) => {
    const srv = createServer();
    srv.once('error', () => answer(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => answer(true)));
  });
}

/** A TCP port free on 127.0.0.1 right now, outside the kernel's ephemeral range. */
export async function freePort(): Promise<number> {
  const slice = portSlice(process.env['JEST_WORKER_ID']);
  for (let tries = 0; tries < SLICE; tries++) {
    const port = candidate(slice);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in ${String(slice.first)}-${String(slice.last)}`);
}
