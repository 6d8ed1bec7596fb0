/**
 * Holds an HTTP response that a handler writes itself (Nest `@Res()`: the gateway's FHIR facade)
 * until the access audit of the call is in the outbox (docs/security.md §6). While held, the
 * response's writers (`send`, `json`, `end`, `write`, `writeHead`, `flushHeaders` — Express's
 * `json`/`send`/`redirect` end in these) are queued instead of run; status and headers set
 * meanwhile are not on the wire yet.
 * - `release()`: the queued writes run, in order, and later writes go straight through.
 * - `fail()`: the queued writes are dropped and the status and headers the handler set are undone,
 *   so the error answer written next (503 OperationOutcome by the exception filter) carries nothing
 *   of the held answer — no body, no ETag/Location/Last-Modified.
 * One closure per call; a response without these writers (not HTTP) is not held.
 */
export interface ResponseHold {
  release(): void;
  fail(): void;
}

type Writer = (...args: unknown[]) => unknown;
interface HttpResponseShape {
  headersSent?: boolean;
  statusCode: number;
  getHeaders(): Record<string, unknown>;
  getHeaderNames(): string[];
  setHeader(name: string, value: unknown): unknown;
  removeHeader(name: string): void;
  [writer: string]: unknown;
}

const WRITERS = ['send', 'json', 'end', 'write', 'writeHead', 'flushHeaders'] as const;

function isResponse(res: unknown): res is HttpResponseShape {
  if (typeof res !== 'object' || res === null) return false;
  const r = res as Record<string, unknown>;
  return (
    typeof r['end'] === 'function' &&
    typeof r['setHeader'] === 'function' &&
    typeof r['getHeaders'] === 'function' &&
    typeof r['removeHeader'] === 'function'
  );
}

/** Starts holding `res`; undefined when it is not an HTTP response or already answered. */
export function holdResponse(res: unknown): ResponseHold | undefined {
  if (!isResponse(res) || res.headersSent === true) return undefined;
  const status = res.statusCode;
  const headers = res.getHeaders();
  const queue: Array<() => void> = [];
  let state: 'held' | 'released' | 'failed' = 'held';
  const originals = new Map<string, Writer>();
  const wrappers = new Map<string, Writer>();
  for (const name of WRITERS) {
    const original = res[name];
    if (typeof original !== 'function') continue;
    const write = original as Writer;
    originals.set(name, write);
    const wrapper: Writer = (...args: unknown[]) => {
      if (state !== 'held') return write.apply(res, args);
      queue.push(() => void write.apply(res, args));
      return name === 'write' ? true : res;
    };
    wrappers.set(name, wrapper);
    res[name] = wrapper;
  }
  /**
   * Puts the writers back unless something wrapped them after us (then ours pass through). By
   * assignment, not `delete` (which would turn the response into a slow dictionary object).
   */
  const restore = () => {
    for (const [name, write] of originals) if (res[name] === wrappers.get(name)) res[name] = write;
  };
  return {
    release() {
      if (state !== 'held') return;
      state = 'released';
      restore();
      for (const run of queue.splice(0)) run();
    },
    fail() {
      if (state !== 'held') return;
      state = 'failed';
      restore();
      queue.length = 0;
      if (res.headersSent === true) return;
      res.statusCode = status;
      for (const name of res.getHeaderNames()) if (!(name in headers)) res.removeHeader(name);
      for (const [name, value] of Object.entries(headers))
        if (value !== undefined) res.setHeader(name, value);
    },
  };
}
