import fc from 'fast-check';

import { DomainError, httpStatusOf, ValidationError, type FieldViolation } from './errors';
import {
  instantIdCursor,
  isoInstant,
  MAX_PAGE_TOKEN_LENGTH,
  pageCursor,
  scopeHash,
} from './page-cursor';

interface Cursor {
  at: string;
  id: string;
}

const codec = pageCursor<Cursor>({
  write: (c) => ({ t: c.at, i: c.id }),
  read: ({ t, i }) => (isoInstant(t) && typeof i === 'string' ? { at: t, id: i } : undefined),
  refuse: (v: FieldViolation) => new ValidationError([v], 'Invalid request', 'test'),
});

const cursorArb = fc.record({
  at: fc
    .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T00:00:00Z') })
    .filter((d) => !Number.isNaN(d.getTime()))
    .map((d) => d.toISOString()),
  id: fc.string({ maxLength: 40 }),
});
const scopeArb = fc.dictionary(
  fc.string({ maxLength: 8 }),
  fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean()),
  { maxKeys: 4 },
);

/** The refusal a bad token raises: INVALID_ARGUMENT (HTTP 400) naming the token field. */
function refusalOf(run: () => unknown): DomainError | undefined {
  try {
    run();
    return undefined;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
}

describe('pageCursor', () => {
  it('round-trips any cursor for the query it was made for', () => {
    fc.assert(
      fc.property(cursorArb, scopeArb, (cursor, scope) => {
        const token = codec.encode(cursor, scope);
        expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(codec.decode(token, scope)).toEqual(cursor);
        // the query hash ignores key order
        const reordered = Object.fromEntries(Object.entries(scope).reverse());
        expect(codec.decode(token, reordered)).toEqual(cursor);
      }),
    );
  });

  it('check judges exactly as decode does, without throwing', () => {
    fc.assert(
      fc.property(cursorArb, scopeArb, fc.string({ maxLength: 60 }), (cursor, scope, junk) => {
        const token = codec.encode(cursor, scope);
        expect(codec.check(token, scope)).toEqual({ ok: true, cursor });
        const judged = codec.check(junk, scope, 'pageToken');
        const refused = refusalOf(() => codec.decode(junk, scope, 'pageToken'));
        if (judged.ok) expect(refused).toBeUndefined();
        else expect(refused?.details).toEqual([judged.violation]);
      }),
    );
    expect(codec.check(undefined)).toEqual({ ok: true, cursor: undefined });
  });

  it('reads no token as the first page', () => {
    expect(codec.decode(undefined, {})).toBeUndefined();
    expect(codec.decode('', {})).toBeUndefined();
  });

  it('refuses random strings with INVALID_ARGUMENT on the token field, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (junk) => {
        const err = refusalOf(() => codec.decode(junk, {}));
        expect(err).toBeDefined();
        expect(err?.kind).toBe('INVALID_ARGUMENT');
        expect(httpStatusOf(err!.kind)).toBe(400);
        expect(err?.details).toEqual([
          {
            field: 'page.page_token',
            rule: 'page-token',
            message: 'page_token is malformed or belongs to a different query',
          },
        ]);
      }),
    );
  });

  it('refuses base64url JSON that is not a cursor of this listing (forged or edited tokens)', () => {
    const json = fc.jsonValue({ maxDepth: 2 });
    fc.assert(
      fc.property(json, fc.boolean(), (value, withScope) => {
        const payload =
          withScope && value !== null && typeof value === 'object' && !Array.isArray(value)
            ? { ...value, f: scopeHash({}) }
            : value;
        const forged = Buffer.from(JSON.stringify(payload) ?? 'null').toString('base64url');
        const err = refusalOf(() => codec.decode(forged, {}));
        const fields = payload as Record<string, unknown> | null;
        const readable =
          fields !== null &&
          typeof fields === 'object' &&
          isoInstant(fields['t']) &&
          typeof fields['i'] === 'string' &&
          fields['f'] === scopeHash({});
        if (readable) expect(err).toBeUndefined();
        else expect(err?.kind).toBe('INVALID_ARGUMENT');
      }),
    );
  });

  it("refuses another query's token and an over-long token", () => {
    fc.assert(
      fc.property(cursorArb, scopeArb, scopeArb, (cursor, a, b) => {
        fc.pre(scopeHash(a) !== scopeHash(b));
        const err = refusalOf(() => codec.decode(codec.encode(cursor, a), b));
        expect(err?.kind).toBe('INVALID_ARGUMENT');
      }),
    );
    const long = 'A'.repeat(MAX_PAGE_TOKEN_LENGTH + 1);
    expect(refusalOf(() => codec.decode(long, {}))?.kind).toBe('INVALID_ARGUMENT');
  });

  it('pages size + 1 rows: the first size rows, and a token after the last only when more exist', () => {
    const rows = [1, 2, 3].map((n) => ({ at: `2030-01-0${n}T00:00:00.000Z`, id: `r${n}` }));
    const scope = { q: 'x' };
    const full = codec.page(rows, 2, (last) => last, scope);
    expect(full.rows).toEqual(rows.slice(0, 2));
    expect(codec.decode(full.nextPageToken, scope)).toEqual(rows[1]);
    expect(codec.page(rows.slice(0, 2), 2, (last) => last, scope)).toEqual({
      rows: rows.slice(0, 2),
      nextPageToken: '',
    });
    expect(codec.page([], 2, (last) => last, scope)).toEqual({ rows: [], nextPageToken: '' });
  });
  it('names the field and rule a listing asks for', () => {
    const own = pageCursor<number>({
      write: (o) => ({ o }),
      read: ({ o }) => (typeof o === 'number' && Number.isInteger(o) && o >= 0 ? o : undefined),
      refuse: (v) => new ValidationError([v]),
      rule: 'page-token.invalid',
      message: 'is not a token from this history',
    });
    expect(own.decode(own.encode(40, '9990000018'), '9990000018')).toBe(40);
    const err = refusalOf(() => own.decode(own.encode(40, '9990000018'), '9990000026', 'cursor'));
    expect(err?.details).toEqual([
      { field: 'cursor', rule: 'page-token.invalid', message: 'is not a token from this history' },
    ]);
  });
});

describe('instantIdCursor', () => {
  const byStart = instantIdCursor('s', { refuse: (v) => new ValidationError([v]) });

  it('pages rows by their instant and id, the cursor spelt under its own key', () => {
    const rows = [1, 2, 3].map((n) => ({
      start: new Date(`2030-01-0${n}T00:00:00Z`),
      id: `r${n}`,
    }));
    const scope = { q: 'x' };
    const page = byStart.pageBy(rows, 2, (last) => [last.start, last.id], scope);
    expect(page.rows).toEqual(rows.slice(0, 2));
    expect(byStart.decode(page.nextPageToken, scope)).toEqual({
      s: '2030-01-02T00:00:00.000Z',
      i: 'r2',
    });
    expect(byStart.pageBy(rows.slice(0, 2), 2, (last) => [last.start, last.id], scope)).toEqual({
      rows: rows.slice(0, 2),
      nextPageToken: '',
    });
  });

  it('carries a numeric tie-breaker (a version) as its decimal string', () => {
    const versions = [3, 2, 1].map((version) => ({
      at: new Date('2030-01-01T00:00:00Z'),
      version,
    }));
    const page = byStart.pageBy(versions, 1, (last) => [last.at, last.version], 'h');
    expect(byStart.decode(page.nextPageToken, 'h')).toEqual({
      s: '2030-01-01T00:00:00.000Z',
      i: '3',
    });
  });
});
