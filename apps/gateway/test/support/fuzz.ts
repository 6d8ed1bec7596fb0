// Building blocks of the FHIR facade fuzzer (fhir-fuzz.int-spec.ts): request generators over the
// OpenAPI document (bodies mutated from valid seeds, search parameters, ids) with fast-check, and
// the tally of what came back. Everything is drawn from one seed, so a run replays exactly.
import { getDataType } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { loadFhirDefinitions, rulesOf, structuralIssues } from '@trellis/fhir';
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** One generated request (what a replay needs). */
export interface FuzzRequest {
  kind: string;
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** An operation of the OpenAPI document. */
export interface ApiOperation {
  method: 'GET' | 'POST' | 'PUT';
  /** `/fhir/Patient/{id}` */
  path: string;
  resource: string;
  query: string[];
  hasBody: boolean;
}

export function operationsOf(doc: {
  paths: Record<
    string,
    Record<
      string,
      { tags?: string[]; parameters?: Array<{ name: string; in: string }>; requestBody?: unknown }
    >
  >;
}): ApiOperation[] {
  const out: ApiOperation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(methods)) {
      const method = m.toUpperCase() as ApiOperation['method'];
      if (!['GET', 'POST', 'PUT'].includes(method)) continue;
      out.push({
        method,
        path,
        resource: op.tags?.[0] ?? 'system',
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        hasBody: op.requestBody !== undefined,
      });
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// values

const deep = (depth: number): Json => {
  let v: Json = 'x';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

/** Values of every JSON type, and the nasty ones: huge, deep, unicode, NUL, lone surrogates. */
export const wrongValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>('', {}, [], null, true, false, 0, -1, 1.5, 1e308, [null], [[]], [{}], ['']),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom<Json>(
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\u202e\u0007',
    '<script>alert(1)</script>',
    '%00',
    '../..',
    'Patient/9434765919',
  ),
  fc.integer({ min: 1_000, max: 300_000 }).map((n) => 'a'.repeat(n)),
  fc
    .integer({ min: 1_000, max: 200_000 })
    .map((n) => Array.from({ length: Math.min(n, 5_000) }, () => 'x')),
  fc.integer({ min: 20, max: 3_000 }).map(deep),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), {
    maxKeys: 4,
  }),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant({})), { maxLength: 4 }),
);

/** Every path (object keys and array indexes) of a JSON value, root excluded. */
export function pathsOf(
  v: Json,
  prefix: Array<string | number> = [],
): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([...prefix, i], ...pathsOf(x, [...prefix, i]));
    });
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) out.push([...prefix, k], ...pathsOf(x, [...prefix, k]));
  }
  return out;
}

/** `root` with `value` at `path` (removed when undefined); copies only the objects on the path. */
export function setAt(
  root: Json,
  path: ReadonlyArray<string | number>,
  value: Json | undefined,
): Json {
  if (path.length === 0) return value ?? null;
  if (root === null || typeof root !== 'object') return root;
  const [head, ...rest] = path as [string | number, ...Array<string | number>];
  const copy: Json = Array.isArray(root) ? [...root] : { ...root };
  const bag = copy as Record<string, Json>;
  const key = head as string;
  if (rest.length > 0) {
    if (bag[key] !== undefined) bag[key] = setAt(bag[key], rest, value);
  } else if (value !== undefined) {
    // an own property even for `__proto__` (plain assignment would set the prototype)
    Object.defineProperty(copy, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else if (Array.isArray(copy)) copy.splice(head as number, 1);
  else delete bag[key];
  return copy;
}

/** The element names of a resource type (a choice `value[x]` as its first type, `valueString`). */
export function elementNames(type: string): string[] {
  loadFhirDefinitions();
  return Object.entries(getDataType(type).elements).map(([name, e]) =>
    name.endsWith('[x]')
      ? `${name.slice(0, -3)}${(e.type[0]?.code ?? 'string').replace(/^./, (c) => c.toUpperCase())}`
      : name,
  );
}

/** Names that are no element, Object.prototype's own among them. */
const unknownKey = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom('constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'),
);

/** A mutation of a valid seed body: a wrong value at some path, a removal, an unknown element. */
export function mutatedBody(seed: Json, type: string): fc.Arbitrary<Json> {
  const paths = pathsOf(seed);
  const names = type === 'Parameters' ? ['parameter', 'id', 'meta'] : elementNames(type);
  const one = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.tuple(fc.constantFrom(...paths), wrongValue).map(
        ([p, v]) =>
          (s: Json) =>
            setAt(s, p, v),
      ),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(fc.constantFrom(...names), wrongValue).map(
        ([n, v]) =>
          (s: Json) =>
            setAt(s, [n], v),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...paths).map((p) => (s: Json) => setAt(s, p, undefined)),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(unknownKey, wrongValue).map(
        ([k, v]) =>
          (s: Json) =>
            setAt(s, [k], v),
      ),
    },
  );
  return fc.array(one, { minLength: 1, maxLength: 3 }).map((ms) => ms.reduce((s, m) => m(s), seed));
}

/** Bodies that are not a resource at all. */
export const rawBody: fc.Arbitrary<{ body: string; contentType: string }> = fc.oneof(
  fc
    .constantFrom(
      '',
      '{',
      '[]',
      'null',
      '"Patient"',
      '{"resourceType":1}',
      '\u0000',
      '{"a":"\\ud800"}',
    )
    .map((body) => ({ body, contentType: 'application/fhir+json' })),
  fc
    .string({ unit: 'binary', maxLength: 200 })
    .map((body) => ({ body, contentType: 'application/fhir+json' })),
  fc
    .constantFrom(
      'application/xml',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    )
    .map((contentType) => ({ body: '{"resourceType":"Patient"}', contentType })),
  fc
    .integer({ min: 20_000, max: 200_000 })
    .map((n) => ({ body: '['.repeat(n) + ']'.repeat(n), contentType: 'application/json' })),
  fc.constant({
    body: `{"resourceType":"Patient","text":{"status":"generated","div":"${'x'.repeat(1_200_000)}"}}`,
    contentType: 'application/fhir+json',
  }),
);

// ------------------------------------------------------------------------------------------------
// URLs

/** An `[id]`: a real one, one of the right shape, or garbage (percent-encoded as a client would). */
export function idValue(real: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...real) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '9434765919',
        '9999999999',
        '00000000-0000-4000-8000-000000000000',
        '1',
        'a.b-c',
      ),
    },
    {
      weight: 3,
      arbitrary: fc
        .oneof(
          fc.string({ maxLength: 80 }),
          fc.string({ unit: 'grapheme', maxLength: 10 }),
          fc.constantFrom('\u0000', '..', '$', '_history', 'x'.repeat(65)),
        )
        .map((s) => encodeURIComponent(s)),
    },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '%2F', '%C0%AF') },
  );
}

const searchValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    '9434765919',
    'Patient/9434765919',
    'https://fhir.nhs.uk/Id/nhs-number|9434765919',
    'RR8',
    'A81001',
    'final',
    'active',
    'routine',
    'ge2024-01-01',
    'lt2030-01-01',
    '2024-13-45',
    'male',
    'woman',
    'cardiology',
    'http://loinc.org|58410-2',
    '0',
    '-1',
    '1e9',
    '999999999999',
  ),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.integer({ min: 100, max: 3_000 }).map((n) => 'v'.repeat(n)),
);

/** A query string over the documented parameters (plus unknown, repeated, empty and paging ones). */
export function queryString(names: readonly string[]): fc.Arbitrary<string> {
  const name = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...(names.length ? names : ['_count'])) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '_count',
        '_page_token',
        '_format',
        '_summary',
        '_sort',
        '_elements',
        '_id',
        'foo',
        'patient:missing',
        'status:not',
      ),
    },
    { weight: 1, arbitrary: unknownKey },
  );
  return fc.array(fc.tuple(name, searchValue), { maxLength: 5 }).chain((pairs) =>
    fc.nat(9).map((n) => {
      const raw = n === 0; // now and then a malformed escape
      const q = pairs
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
        .join('&');
      return raw && q ? `${q}&x=%zz` : q;
    }),
  );
}

// ------------------------------------------------------------------------------------------------
// tally

export interface FuzzFailure {
  request: FuzzRequest;
  status: number;
  why: string;
  body: string;
}

/** Counts of a run: requests, statuses, 4xx by rule id (the first rule of the answer), 5xx. */
export class FuzzTally {
  requests = 0;
  readonly byStatus = new Map<number, number>();
  readonly byRule = new Map<string, number>();
  readonly byKind = new Map<string, number>();
  readonly failures: FuzzFailure[] = [];

  get serverErrors(): number {
    let n = 0;
    for (const [s, c] of this.byStatus) if (s >= 500) n += c;
    return n;
  }

  record(request: FuzzRequest, status: number, contentType: string, body: string): void {
    this.requests++;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    this.byKind.set(request.kind, (this.byKind.get(request.kind) ?? 0) + 1);
    const fail = (why: string): void => {
      this.failures.push({ request, status, why, body: body.slice(0, 600) });
    };
    if (status >= 500) fail('5xx');
    if (status < 400) return;
    if (!/^application\/fhir\+json/.test(contentType))
      return fail(`error content-type ${contentType}`);
    let outcome: OperationOutcome;
    try {
      outcome = JSON.parse(body) as OperationOutcome;
    } catch {
      return fail('error body is not JSON');
    }
    if (outcome.resourceType !== 'OperationOutcome')
      return fail('error body is not an OperationOutcome');
    const problems = structuralIssues(outcome);
    if (problems.length > 0) return fail(`invalid OperationOutcome: ${problems[0]!.message}`);
    if ((outcome.issue ?? []).length > 100) return fail('more than 100 issues');
    const rule = rulesOf(outcome)[0] ?? '(none)';
    const key = `${status} ${rule}`;
    this.byRule.set(key, (this.byRule.get(key) ?? 0) + 1);
  }

  report(seed: number, elapsedMs: number): string {
    const sorted = (m: Map<string | number, number>) =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `    ${String(k)}: ${v}`)
        .join('\n');
    return [
      `FHIR fuzz: seed ${seed} (replay: TRELLIS_FUZZ_SEED=${seed}), ${this.requests} requests in ${(elapsedMs / 1000).toFixed(1)} s`,
      `  5xx: ${this.serverErrors}, failures: ${this.failures.length}`,
      `  by status:\n${sorted(this.byStatus as Map<string | number, number>)}`,
      `  by kind:\n${sorted(this.byKind as Map<string | number, number>)}`,
      `  4xx by rule:\n${sorted(this.byRule as Map<string | number, number>)}`,
    ].join('\n');
  }
}
