import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { FhirError } from '@trellis/fhir';
import type { Request } from 'express';

/** The first value of a request header. */
export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Weak ETag of a record version: W/"<version>". */
export function etag(version: string | number | undefined): string {
  return `W/"${String(version ?? '0')}"`;
}

/** If-Match: W/"3" or "3" → 3; absent → undefined; malformed → 400. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header === '') return undefined;
  const m = /^(?:W\/)?"(\d+)"$/.exec(header.trim());
  if (!m) {
    throw FhirError.of(
      400,
      'invalid',
      'http.if-match',
      'If-Match must be a weak ETag W/"<version>"',
    );
  }
  return Number(m[1]);
}

/**
 * The If-Match an update must carry (the version the change is based on): absent → 428, so a
 * client can never overwrite a change it has not seen; malformed → 400.
 */
export function requiredIfMatch(header: string | string[] | undefined, what: string): number {
  const value = headerValue(header);
  if (value === undefined || value.trim() === '') {
    throw FhirError.of(
      428,
      'required',
      'http.if-match-required',
      `If-Match: W/"<version>" (the version last read) is required to update ${what}`,
    );
  }
  return parseIfMatch(value)!;
}

/** ETag / Last-Modified headers of a resource's meta. */
export function versionHeaders(resource: Resource): Record<string, string> {
  const h: Record<string, string> = {};
  if (resource.meta?.versionId) h['ETag'] = etag(resource.meta.versionId);
  if (resource.meta?.lastUpdated)
    h['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  return h;
}

/** Flattens Express query values to string arrays per name. */
export function queryParams(req: Request): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const q = req.query as Record<string, unknown>;
  for (const [k, v] of Object.entries(q)) {
    const list = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
    out.set(k, list);
  }
  return out;
}

export function parseQueryString(qs: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const params = new URLSearchParams(qs.replace(/^\?/, ''));
  for (const [k, v] of params) out.set(k, [...(out.get(k) ?? []), v]);
  return out;
}

/** `_count`: default, capped at `max`; a non-number → 400. */
export function countParam(params: Map<string, string[]>, def: number, max: number): number {
  const raw = params.get('_count')?.[0];
  if (raw === undefined) return Math.min(def, max);
  if (!/^\d+$/.test(raw)) {
    throw FhirError.of(
      400,
      'invalid',
      'search.count',
      '_count must be a non-negative integer',
      '_count',
    );
  }
  return Math.min(Number(raw), max);
}

export function bundle(
  type: 'searchset' | 'history' | 'collection',
  entries: BundleEntry[],
  links: { self: string; next?: string },
  total?: number,
): Bundle {
  return {
    resourceType: 'Bundle',
    type,
    timestamp: new Date().toISOString(),
    ...(total !== undefined ? { total } : {}),
    link: [
      { relation: 'self', url: links.self },
      ...(links.next ? [{ relation: 'next', url: links.next }] : []),
    ],
    entry: entries,
  };
}

/** The request's own URL on the public base (for self links). */
export function selfUrl(publicUrl: string, req: Request): string {
  return `${publicUrl}${req.originalUrl}`;
}
