import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { BundleEntry } from '@medplum/fhirtypes';
import {
  FhirError,
  NHS_NUMBER_SYSTEM,
  operationOutcome,
  type FhirIssue,
  validateNhsNumber,
} from '@trellis/fhir';
import type { Request } from 'express';
import type { Observable } from 'rxjs';

import { FHIR_CONFIG, type FhirConfig } from './fhir.config';

/**
 * FHIR search parameters (http://hl7.org/fhir/R4/search.html) — one table per search route, declared
 * on the route (FhirRoute.searchParams). The same table drives the CapabilityStatement, the OpenAPI
 * document and this parser, so a parameter is served exactly when it is declared: an undeclared
 * parameter, modifier, prefix or OR list is refused with 400 (or, under `Prefer: handling=lenient`,
 * dropped from the self link), repeated parameters are ANDed, and `_count` / `_page_token` /
 * `_total` / `_summary` / `_format` are handled the same way for every search.
 */
export type SearchParamType = 'token' | 'string' | 'date' | 'reference' | 'number' | 'uri';

export interface FhirSearchParam {
  name: string;
  type: SearchParamType;
  documentation: string;
  /** Modifiers served (`identifier` of a reference, …); any other modifier is refused. */
  modifiers?: readonly string[];
  /** Comma-separated values are ORed (declare only where the platform serves the OR). */
  or?: boolean;
  /**
   * true: the handler ANDs repetitions (intersects tokens, narrows a date window). Otherwise the
   * parameter may be given once (an identical repetition is harmless, a different one is refused):
   * a handler that reads one value can never silently keep the first.
   */
  and?: boolean;
}

/** Date (and number) comparison prefixes served. */
export const DATE_PREFIXES = ['eq', 'ge', 'gt', 'le', 'lt'] as const;
export type DatePrefix = (typeof DATE_PREFIXES)[number];

/** Common parameters every search (and history) interaction serves. */
export const COMMON_SEARCH_PARAMS: readonly FhirSearchParam[] = [
  {
    name: '_count',
    type: 'number',
    documentation:
      'Entries per page: a non-negative integer, clamped to the server maximum (FHIR_MAX_COUNT, default 50); 0 = the total only',
  },
  {
    name: '_page_token',
    type: 'string',
    documentation: 'Continuation token of a next link (opaque; bound to the query it came from)',
  },
  {
    name: '_total',
    type: 'token',
    documentation: 'none | estimate | accurate (the total is always counted unless none)',
  },
  {
    name: '_summary',
    type: 'token',
    documentation: 'count (= _count=0) or false; true, text and data are not supported',
  },
  {
    name: '_format',
    type: 'token',
    documentation: 'json, application/json or application/fhir+json (JSON only)',
  },
];
const COMMON = new Map(COMMON_SEARCH_PARAMS.map((p) => [p.name, p]));

/** One occurrence of a parameter: its modifier and its (OR) values. */
export interface SearchClause {
  modifier?: string;
  values: string[];
}

const invalid = (rule: string, message: string, expression: string) =>
  FhirError.of(400, 'invalid', rule, message, expression);

const PAGE_TOKEN = /^[A-Za-z0-9_\-.=~]{1,2048}$/;

/** A client's parameter name or value as echoed in an OperationOutcome: bounded. */
export function clip(text: string, max = 64): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Splits a value on unescaped commas (`\,` is a literal comma). */
function splitOr(value: string): string[] {
  return value.split(/(?<!\\),/).map((v) => v.replace(/\\,/g, ','));
}

/** `Prefer: handling=lenient` (among other preferences). */
export function lenientHandling(prefer: string | string[] | undefined): boolean {
  const all = (Array.isArray(prefer) ? prefer : [prefer ?? '']).join(',');
  return all
    .split(/[,;]/)
    .some((p) => p.trim().replace(/\s+/g, '').toLowerCase() === 'handling=lenient');
}

/** The raw query of a request, in order (URLSearchParams; `+` is a space). */
export function rawQuery(req: Pick<Request, 'originalUrl' | 'url'>): Array<[string, string]> {
  const url = req.originalUrl ?? req.url;
  const i = url.indexOf('?');
  return i < 0 ? [] : [...new URLSearchParams(url.slice(i + 1))];
}

/** A search request parsed and validated against its route's table. */
export class SearchQuery {
  /** Entries per page (0 = the total only). */
  readonly count: number;
  readonly pageToken: string;
  /** false with `_total=none`. */
  readonly wantTotal: boolean;
  /** Parameters dropped under lenient handling (unknown or unsupported), as given. */
  readonly dropped: readonly string[];
  private readonly clauses = new Map<string, SearchClause[]>();
  /** The applied parameters, in request order (self and next links). */
  private readonly applied: Array<[string, string]> = [];

  constructor(
    query: ReadonlyArray<[string, string]>,
    params: readonly FhirSearchParam[],
    opts: {
      maxCount: number;
      defaultCount: number;
      lenient: boolean;
      /** The common parameters served (default: all of them). */
      common?: readonly string[];
    },
  ) {
    const declared = new Map(params.map((p) => [p.name, p]));
    const common = (name: string) =>
      opts.common === undefined || opts.common.includes(name) ? COMMON.get(name) : undefined;
    const unsupported: FhirIssue[] = [];
    const dropped: string[] = [];
    const seen = new Map<string, string>();
    for (const [key, value] of query) {
      const [name = '', modifier, ...rest] = key.split(':');
      const def = declared.get(name) ?? common(name);
      const servedModifier = modifier === undefined || (def?.modifiers ?? []).includes(modifier);
      if (!def || !servedModifier || rest.length > 0 || name === '') {
        const why = `modifier :${clip(modifier ?? '')} of ${name} is not supported`;
        if (opts.lenient) dropped.push(key);
        else
          unsupported.push({
            severity: 'error',
            code: 'not-supported',
            rule: 'search.unknown-parameter',
            expression: clip(key),
            message: !def
              ? `unknown search parameter ${clip(key)} (this search serves ${[...declared.keys()].join(', ') || 'no filters'})`
              : `unsupported search parameter ${clip(key)}: ${why}`,
          });
        continue;
      }
      if (def.and !== true) {
        const before = seen.get(key);
        if (before !== undefined && before !== value)
          throw FhirError.of(
            400,
            'not-supported',
            'search.repeated-parameter',
            `${key} may be given once (repetitions of it cannot be ANDed)`,
            key,
          );
        seen.set(key, value);
        if (before !== undefined) continue;
      }
      const values = def.or ? splitOr(value) : [value.replace(/\\,/g, ',')];
      if (!def.or && /(?<!\\),/.test(value))
        throw FhirError.of(
          400,
          'not-supported',
          'search.or-not-supported',
          `${key}: comma-separated values (OR) are not supported for this parameter; repeat the search per value`,
          key,
        );
      if (values.some((v) => v === '') && !COMMON.has(name))
        throw invalid('search.empty-value', `${key} has an empty value`, key);
      const clause: SearchClause = { values, ...(modifier !== undefined ? { modifier } : {}) };
      this.clauses.set(name, [...(this.clauses.get(name) ?? []), clause]);
      this.applied.push([key, value]);
    }
    if (unsupported.length) throw new FhirError(400, unsupported);
    this.dropped = dropped;

    const count = this.one('_count');
    if (count !== undefined && !/^\d{1,12}$/.test(count))
      throw invalid('search.count', '_count must be a non-negative integer', '_count');
    const summary = this.one('_summary');
    if (summary !== undefined && summary !== 'count' && summary !== 'false')
      throw FhirError.of(
        400,
        'not-supported',
        'search.summary',
        `_summary=${clip(summary)} is not supported (count or false)`,
        '_summary',
      );
    this.count =
      summary === 'count'
        ? 0
        : Math.min(count === undefined ? opts.defaultCount : Number(count), opts.maxCount);
    if (count !== undefined) this.setApplied('_count', String(this.count));

    const token = this.one('_page_token');
    if (token !== undefined && !PAGE_TOKEN.test(token))
      throw invalid('search.page-token', '_page_token is malformed', '_page_token');
    this.pageToken = token ?? '';

    const total = this.one('_total');
    if (total !== undefined && !['none', 'estimate', 'accurate'].includes(total))
      throw invalid('search.total', '_total must be none, estimate or accurate', '_total');
    this.wantTotal = total !== 'none';

    const format = this.one('_format');
    if (
      format !== undefined &&
      !['json', 'application/json', 'application/fhir+json', 'application/json+fhir'].includes(
        // an unencoded `+` arrives as a space
        format.split(';')[0]!.trim().replace(/ /g, '+'),
      )
    )
      throw FhirError.of(
        406,
        'not-supported',
        'http.not-acceptable',
        `_format=${clip(format)}: only JSON is served`,
        '_format',
      );
  }

  has(name: string): boolean {
    return this.clauses.has(name);
  }

  /** Every value of a parameter, all occurrences (for a date window). */
  values(name: string): string[] {
    return this.all(name).flatMap((c) => c.values);
  }

  /** The occurrences of a parameter (each ANDed with the others). */
  all(name: string): readonly SearchClause[] {
    return this.clauses.get(name) ?? [];
  }

  /** The value of a parameter served once (undefined when absent). */
  one(name: string): string | undefined {
    return this.clauses.get(name)?.[0]?.values[0];
  }

  /**
   * A token-like parameter as the set of platform values that satisfy every occurrence: each
   * occurrence's OR list is read (`read` may return several values, or throw a 400), and the
   * occurrences are intersected. undefined = absent; an empty set = nothing can match.
   */
  anyOf<T>(
    name: string,
    read: (value: string, modifier: string | undefined) => T | readonly T[],
  ): Set<T> | undefined {
    const clauses = this.all(name);
    if (!clauses.length) return undefined;
    let result: Set<T> | undefined;
    for (const c of clauses) {
      const set = new Set(
        c.values.flatMap((v) => {
          const r = read(v, c.modifier);
          return Array.isArray(r) ? (r as readonly T[]) : [r as T];
        }),
      );
      result = result ? new Set([...result].filter((x) => set.has(x))) : set;
    }
    return result;
  }

  /** The parameters applied, in request order, for a link on `url` (`_page_token` replaced). */
  link(url: string, extra: Record<string, string[]> = {}, pageToken?: string): string {
    const q = new URLSearchParams();
    for (const [k, v] of this.applied)
      if (k !== '_page_token' || pageToken === undefined) q.append(k, v);
    for (const [k, vs] of Object.entries(extra)) for (const v of vs) q.append(k, v);
    if (pageToken !== undefined) {
      q.set('_count', String(this.count));
      q.set('_page_token', pageToken);
    }
    const s = q.toString();
    return s ? `${url}?${s}` : url;
  }

  private setApplied(key: string, value: string): void {
    const i = this.applied.findIndex(([k]) => k === key);
    if (i >= 0) this.applied[i] = [key, value];
  }
}

/**
 * A `patient` reference parameter → NHS number: `<nhs>`, `Patient/<nhs>`, `<base>/Patient/<nhs>`,
 * or `patient:identifier=https://fhir.nhs.uk/Id/nhs-number|<nhs>`. Anything else is a 400.
 */
export function readPatientParam(
  value: string,
  modifier: string | undefined,
  name = 'patient',
): string {
  let nhs: string | undefined;
  if (modifier === 'identifier') {
    const [system, v] = value.includes('|') ? value.split('|', 2) : [undefined, value];
    nhs = system === NHS_NUMBER_SYSTEM ? v : undefined;
  } else {
    const m = /^(?:(?:https?:\/\/[^?#]+\/)?Patient\/)?([^/|]+)$/.exec(value);
    nhs = m?.[1];
  }
  if (!nhs || !validateNhsNumber(nhs).valid)
    throw invalid(
      'search.patient',
      `${name}${modifier ? `:${modifier}` : ''}=${clip(value)}: expected Patient/<NHS number>, <NHS number> or ${name}:identifier=${NHS_NUMBER_SYSTEM}|<NHS number>`,
      modifier ? `${name}:${modifier}` : name,
    );
  return nhs;
}

/** The `patient` modifiers served (with readPatientParam). */
export const PATIENT_MODIFIERS: readonly string[] = ['identifier'];

/** The required `patient` parameter of a patient-scoped search. */
export const PATIENT_PARAM: FhirSearchParam = {
  name: 'patient',
  type: 'reference',
  and: true,
  modifiers: PATIENT_MODIFIERS,
  documentation: `The patient (required): Patient/<NHS number>, <NHS number> or patient:identifier=${NHS_NUMBER_SYSTEM}|<NHS number>`,
};

/** A date search value: prefix and the [start, end) of its precision (year … second). */
export function readDate(
  raw: string,
  name: string,
): { prefix: DatePrefix; start: Date; end: Date } {
  const m =
    /^(eq|ge|gt|le|lt)?(\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?)?)?)$/.exec(
      raw,
    );
  const value = m?.[2];
  const start = value
    ? new Date(
        value.length === 4
          ? `${value}-01-01T00:00:00Z`
          : value.length === 7
            ? `${value}-01T00:00:00Z`
            : value.length === 10
              ? `${value}T00:00:00Z`
              : value,
      )
    : undefined;
  if (!m || !value || !start || Number.isNaN(start.getTime()))
    throw invalid(
      `search.${name}`,
      `${name}=${clip(raw)}: expected [eq|ge|gt|le|lt]YYYY[-MM[-DD[Thh:mm[:ss]Z]]]`,
      name,
    );
  const end = new Date(start);
  if (value.length === 4) end.setUTCFullYear(end.getUTCFullYear() + 1);
  else if (value.length === 7) end.setUTCMonth(end.getUTCMonth() + 1);
  else if (value.length === 10) end.setUTCDate(end.getUTCDate() + 1);
  else if (/T\d{2}:\d{2}(?:Z|[+-])/.test(value)) end.setUTCMinutes(end.getUTCMinutes() + 1);
  else end.setUTCMilliseconds(end.getUTCMilliseconds() + (/\.\d/.test(value) ? 1 : 1000));
  return { prefix: (m[1] as DatePrefix | undefined) ?? 'eq', start, end };
}

/**
 * Date search values ANDed into one window [from, to) (undefined = open); `empty` when they
 * cannot all hold. Each value covers its whole precision (2026-02 = the month).
 */
export function dateWindow(
  values: readonly string[],
  name: string,
): { from?: Date; to?: Date; empty: boolean } {
  let from: Date | undefined;
  let to: Date | undefined;
  const later = (a: Date | undefined, b: Date) => (a && a > b ? a : b);
  const earlier = (a: Date | undefined, b: Date) => (a && a < b ? a : b);
  for (const raw of values) {
    const d = readDate(raw, name);
    if (d.prefix === 'eq') [from, to] = [later(from, d.start), earlier(to, d.end)];
    else if (d.prefix === 'ge') from = later(from, d.start);
    else if (d.prefix === 'gt') from = later(from, d.end);
    else if (d.prefix === 'le') to = earlier(to, d.end);
    else to = earlier(to, d.start);
  }
  return {
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    empty: from !== undefined && to !== undefined && from >= to,
  };
}

const PARSED = new WeakMap<object, SearchQuery>();

/** The search query the route's interceptor parsed for this request. */
export function searchOf(req: Request): SearchQuery {
  const s = PARSED.get(req);
  if (!s) throw new Error(`no search table declared for ${req.method} ${req.path}`);
  return s;
}

/**
 * Parses and validates a search (or history) request against its route's table before the
 * handler runs (after authentication: an unauthenticated caller learns nothing about parameters).
 * Applied by the FhirRoute decorator to every search-type and history-instance route, and to GET
 * operations (their declared parameters and `_format` only).
 */
export function fhirSearchInterceptor(
  params: readonly FhirSearchParam[],
  defaultCount: number,
  common?: readonly string[],
): new (config: FhirConfig) => NestInterceptor {
  @Injectable()
  class FhirSearchInterceptor implements NestInterceptor {
    constructor(@Inject(FHIR_CONFIG) private readonly config: FhirConfig) {}

    intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
      const req = context.switchToHttp().getRequest<Request>();
      PARSED.set(
        req,
        new SearchQuery(rawQuery(req), params, {
          maxCount: this.config.maxCount,
          defaultCount: Math.min(defaultCount, this.config.maxCount),
          lenient: lenientHandling(req.headers['prefer']),
          ...(common ? { common } : {}),
        }),
      );
      return next.handle();
    }
  }
  return FhirSearchInterceptor;
}

/** The OperationOutcome entry naming the parameters lenient handling dropped (none: no entry). */
export function droppedOutcome(search: SearchQuery): BundleEntry[] {
  if (!search.dropped.length) return [];
  return [
    {
      resource: operationOutcome(
        search.dropped.map((p) => ({
          severity: 'warning',
          code: 'not-supported',
          rule: 'search.parameter-ignored',
          expression: clip(p),
          message: `search parameter ${clip(p)} is not supported and was ignored (Prefer: handling=lenient)`,
        })),
      ),
      search: { mode: 'outcome' },
    },
  ];
}

/**
 * The criteria of a conditional interaction (`If-None-Exist: <query>`) as a search against the
 * same table: unknown parameters are refused there too, never ignored.
 */
export function conditionQuery(condition: string, params: readonly FhirSearchParam[]): SearchQuery {
  return new SearchQuery([...new URLSearchParams(condition.replace(/^\?/, ''))], params, {
    maxCount: 2,
    defaultCount: 2,
    lenient: false,
  });
}
