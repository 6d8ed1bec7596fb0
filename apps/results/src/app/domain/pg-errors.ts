/**
 * Finds the PostgreSQL SQLSTATE inside an error thrown through Prisma's pg driver adapter
 * (the code sits on the error, its `cause`, or `meta.driverAdapterError.cause`).
 */
export function pgErrorCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const rec = e as Record<string, unknown>;
    for (const key of ['originalCode', 'code']) {
      const v = rec[key];
      if (typeof v === 'string' && /^[0-9A-Z]{5}$/.test(v) && !v.startsWith('P')) return v;
    }
    queue.push(rec['cause'], rec['meta'], rec['driverAdapterError']);
  }
  return undefined;
}

/** Prisma's own unique-violation code, or PostgreSQL's. */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002')
    return true;
  return pgErrorCode(err) === '23505';
}

export function isExclusionViolation(err: unknown): boolean {
  return pgErrorCode(err) === '23P01';
}

export function isSerializationFailure(err: unknown): boolean {
  const c = pgErrorCode(err);
  return c === '40001' || c === '40P01';
}
