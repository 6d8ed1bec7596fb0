const NHS_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
const SANDBOX_PREFIX = '999';

/**
 * NHS numbers a request names outside the 999 test range: Patient/<n> in the path or in
 * references, `…nhs-number|<n>` in the query, identifiers with the NHS number system in the body.
 */
export function nonSandboxNhsNumbers(path: string, query: string, body: unknown): string[] {
  const found = new Set<string>();
  for (const m of path.matchAll(/\/Patient\/(\d{10})(?=\/|$)/g)) found.add(m[1]!);
  let decoded = query;
  try {
    decoded = decodeURIComponent(query);
  } catch {
    // a malformed query is the FHIR facade's to refuse
  }
  for (const m of decoded.matchAll(/(?:nhs-number\||Patient\/|patient=)(\d{10})(?!\d)/g))
    found.add(m[1]!);
  walk(body, found, 0);
  return [...found].filter((n) => !n.startsWith(SANDBOX_PREFIX));
}

/**
 * NHS numbers a gRPC request message names outside the 999 test range: every `…nhsNumber` /
 * `…nhsNumbers` field (e.g. nhsNumber, survivorNhsNumber), at any depth.
 */
export function nonSandboxNhsNumbersInMessage(message: unknown): string[] {
  const found = new Set<string>();
  const visit = (value: unknown, depth: number): void => {
    if (depth > 32 || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (const v of value) visit(v, depth + 1);
      return;
    }
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (/nhsnumbers?$/i.test(k))
        for (const n of [v].flat()) if (typeof n === 'string' && /^\d{10}$/.test(n)) found.add(n);
      visit(v, depth + 1);
    }
  };
  visit(message, 0);
  return [...found].filter((n) => !n.startsWith(SANDBOX_PREFIX));
}

function walk(value: unknown, found: Set<string>, depth: number): void {
  if (depth > 32 || value === null) return;
  if (typeof value === 'string') {
    const m = /^Patient\/(\d{10})$/.exec(value);
    if (m) found.add(m[1]!);
    return;
  }
  if (typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) walk(v, found, depth + 1);
    return;
  }
  const o = value as Record<string, unknown>;
  if (o['system'] === NHS_SYSTEM && typeof o['value'] === 'string' && /^\d{10}$/.test(o['value']))
    found.add(o['value']);
  for (const v of Object.values(o)) walk(v, found, depth + 1);
}

/** A request's idempotency key: $book's `idempotency-key` parameter or the resource's identifier. */
export function idempotencyKeyOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const r = body as Record<string, unknown>;
  if (r['resourceType'] === 'Parameters' && Array.isArray(r['parameter'])) {
    for (const p of r['parameter'] as Array<Record<string, unknown>>)
      if (p['name'] === 'idempotency-key' && typeof p['valueString'] === 'string')
        return p['valueString'].slice(0, 200);
    return null;
  }
  const ids = Array.isArray(r['identifier']) ? r['identifier'] : [r['identifier']];
  for (const id of ids as Array<Record<string, unknown> | undefined>)
    if (id && typeof id['value'] === 'string' && id['system'] !== NHS_SYSTEM)
      return `${typeof id['system'] === 'string' ? id['system'] : ''}|${id['value']}`.slice(0, 200);
  return null;
}

/** The id of the resource an answer body carries (not of a Bundle or OperationOutcome). */
export function resourceIdOf(payload: unknown): string | null {
  if (typeof payload !== 'string' || payload.length > 1_000_000) return null;
  try {
    const r = JSON.parse(payload) as Record<string, unknown>;
    if (r['resourceType'] === 'Bundle' || r['resourceType'] === 'OperationOutcome') return null;
    return typeof r['id'] === 'string' ? r['id'] : null;
  } catch {
    return null;
  }
}
