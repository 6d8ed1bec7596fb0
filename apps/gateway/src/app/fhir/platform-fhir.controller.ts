import { Inject } from '@nestjs/common';
import type { Bundle, BundleEntry, Parameters, Resource } from '@medplum/fhirtypes';
import { callerOf, type AuditSubjectExtractor } from '@trellis/auth';
import {
  FhirError,
  fhirErrorFromPlatform,
  NHS_NUMBER_SYSTEM,
  validateFhirResource,
} from '@trellis/fhir';
import type { TypedUnaryMethod } from '@trellis/service-kit';
import type { Request, Response } from 'express';

import { ConformanceRecorder } from './conformance';
import { FHIR_CONFIG, type FhirConfig } from './fhir.config';
import { forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX } from './fhir.registry';
import { droppedOutcome, readPatientParam, rawQuery, searchOf } from './fhir.search';
import { bundle, etag } from './fhir.support';
import { PLATFORM_CLIENTS } from './fhir.tokens';
import { PlatformCallError, type ForwardContext, type PlatformClients } from './platform-clients';

/** The audit subject of a clinical resource: its id, and the patient from the answer. */
export const resourceSubject: AuditSubjectExtractor = (req, res) => {
  const id = (req as { params?: { id?: string } }).params?.id;
  const r = res as (Resource & { subject?: { identifier?: { value?: string } } }) | undefined;
  const patient =
    r?.resourceType === 'Appointment'
      ? r.participant?.find((p) => p.actor?.identifier?.system === NHS_NUMBER_SYSTEM)?.actor
          ?.identifier?.value
      : r?.subject?.identifier?.value;
  return { ...(id ? { resourceId: id } : {}), ...(patient ? { nhsNumber: patient } : {}) };
};

/** The audit subject of a patient search: the `patient` parameter, however it names the patient. */
export const patientParamSubject: AuditSubjectExtractor = (req) => {
  for (const [key, value] of rawQuery(req as Request)) {
    const [name, modifier] = key.split(':');
    if (name !== 'patient') continue;
    try {
      return { nhsNumber: readPatientParam(value, modifier) };
    } catch {
      // not a patient reference: the search itself refuses it
    }
  }
  return {};
};

/** Parameters.parameter[name] as a string (valueString/Code/Id/Uri/Reference/Integer/...). */
export function param(body: Parameters, name: string): string | undefined {
  const p = body.parameter?.find((x) => x.name === name);
  if (!p) return undefined;
  const v =
    p.valueString ??
    p.valueCode ??
    p.valueId ??
    p.valueUri ??
    p.valueReference?.reference ??
    p.valueIdentifier?.value ??
    p.valueInteger ??
    p.valueDateTime ??
    p.valueInstant;
  return v === undefined ? undefined : String(v);
}

/** Paging state of one platform answer, for a searchset's `next` link and `total`. */
export interface SearchPage {
  /** Page size asked for (`_count`); 0 means "count only". */
  count: number;
  nextPageToken?: string | undefined;
  /** The platform's total, when it knows it. */
  total?: number | bigint | string | null | undefined;
  /**
   * Search parameter values the `next` link must carry in addition to the request's own: the
   * defaults the server filled in for what the request left out (e.g. a time window from "now"),
   * so the page token's filter still matches on the next page.
   */
  defaults?: Record<string, string[]>;
}

/** One page of a platform search, as FHIR resources. */
export interface PlatformPage {
  resources: Resource[];
  nextPageToken?: string | undefined;
  total?: number | bigint | string | null | undefined;
}

/** Pages walked at most to count a search the platform does not count, and their size. */
const TOTAL_WALK_PAGES = 100;
const TOTAL_WALK_PAGE_SIZE = 100; // within every platform's page size limit

/** One recorded version of a resource, as a `_history` entry shows it. */
export interface HistoryVersion {
  resource: Resource;
  version: number;
  /** The interaction that made this version (`POST Appointment/$book`, `PUT ServiceRequest/1`…). */
  request: { method: 'POST' | 'PUT' | 'DELETE'; url: string };
  /** true for the version that created the resource (answered 201). */
  created: boolean;
}

/**
 * What an operation's handler (`operations/<resource>-<code>.ts`, one file with its
 * OperationDefinition) uses of the controller serving its route: the platforms, the base URL, the
 * one way to call a platform and to validate the operation's Parameters.
 */
export interface OperationContext {
  readonly platforms: PlatformClients;
  readonly base: string;
  call<Req, Res>(
    method: TypedUnaryMethod<Req, Res>,
    req: NoInfer<Req>,
    ctx: ForwardContext,
    type: string,
    fieldPath?: (field: string) => string | undefined,
  ): Promise<Res>;
  parameters(req: Request, type: string, interaction: string): Promise<Parameters>;
}

/** An operation's handler: answers on `res` and resolves to the resource answered (audit). */
export type OperationHandler<T extends Resource> = (
  ctx: OperationContext,
  req: Request,
  res: Response,
) => Promise<T>;

/**
 * Base of the controllers that serve a platform's resources: one way to call a platform (errors
 * become OperationOutcome), to validate a body at the chokepoint (refusals are counted), and to
 * answer a paged searchset.
 */
export abstract class PlatformFhirController {
  constructor(
    @Inject(PLATFORM_CLIENTS) protected readonly platforms: PlatformClients,
    @Inject(FHIR_CONFIG) protected readonly config: FhirConfig,
    @Inject(ConformanceRecorder) protected readonly conformance: ConformanceRecorder,
  ) {}

  protected get base(): string {
    return `${this.config.publicUrl}/${FHIR_PREFIX}`;
  }

  /** This controller as its operations' handlers see it. */
  protected get operation(): OperationContext {
    return {
      platforms: this.platforms,
      base: this.base,
      call: (method, req, ctx, type, fieldPath) => this.call(method, req, ctx, type, fieldPath),
      parameters: (req, type, interaction) => this.parameters(req, type, interaction),
    };
  }

  protected async call<Req, Res>(
    method: TypedUnaryMethod<Req, Res>,
    req: NoInfer<Req>,
    ctx: ForwardContext,
    type: string,
    /** FHIRPath of a platform field violation's field (default: the resource type). */
    fieldPath?: (field: string) => string | undefined,
  ): Promise<Res> {
    try {
      return await this.platforms.call(method, req, ctx);
    } catch (err) {
      if (err instanceof PlatformCallError)
        throw fhirErrorFromPlatform(err.decoded, type, fieldPath);
      throw err;
    }
  }

  /**
   * The required `patient` search parameter (every occurrence ANDed): its NHS number, or null
   * when the occurrences name different patients (nothing can match).
   */
  protected patientParam(req: Request): string | null {
    const patients = searchOf(req).anyOf('patient', (v, m) => readPatientParam(v, m));
    if (!patients) {
      throw FhirError.of(
        400,
        'required',
        'search.patient',
        'patient=<NHS number> is required',
        'patient',
      );
    }
    return patients.size === 1 ? [...patients][0]! : null;
  }

  /** The `_page_token` of a follow-on page ('' for the first). */
  protected pageToken(req: Request): string {
    return searchOf(req).pageToken;
  }

  /** The `:vid` of a vread: a positive version number, anything else is simply not found. */
  protected versionParam(req: Request, type: string): number {
    const vid = String(req.params['vid']);
    if (!/^[1-9]\d{0,8}$/.test(vid)) {
      throw FhirError.of(
        404,
        'not-found',
        'http.not-found',
        `${type}/${String(req.params['id'])}/_history/${vid} not found`,
      );
    }
    return Number(vid);
  }

  /**
   * Answers an instance `_history` Bundle (newest first as given): each entry with the request
   * that made it and its ETag; `next` continues with the platform's page token.
   */
  protected historyBundle(
    req: Request,
    res: Response,
    type: string,
    versions: HistoryVersion[],
    page: SearchPage,
  ): Bundle {
    const id = String(req.params['id']);
    const entries: BundleEntry[] = (page.count === 0 ? [] : versions).map((v) => ({
      fullUrl: `${this.base}/${type}/${id}`,
      resource: v.resource,
      request: v.request,
      response: {
        status: v.created
          ? '201 Created'
          : v.request.method === 'DELETE'
            ? '204 No Content'
            : '200 OK',
        etag: etag(v.version),
        ...(v.resource.meta?.lastUpdated ? { lastModified: v.resource.meta.lastUpdated } : {}),
      },
    }));
    const search = searchOf(req);
    const url = `${this.base}/${type}/${id}/_history`;
    const next =
      page.nextPageToken && page.count > 0 ? search.link(url, {}, page.nextPageToken) : undefined;
    return sendFhir(
      res,
      200,
      bundle(
        'history',
        entries,
        { self: search.link(url), ...(next ? { next } : {}) },
        page.total !== undefined && page.total !== null && search.wantTotal
          ? Number(page.total)
          : undefined,
      ),
    );
  }

  /** The request's path below the FHIR base (`ServiceRequest`, `Patient/1/_history`). */
  protected searchUrl(req: Request): string {
    const path = req.path.replace(/^\/?fhir\//, '').replace(/^\//, '');
    return `${this.base}/${path}`;
  }

  /**
   * Runs a paged platform search: the page the request asks for, and — when the platform does not
   * count and the caller asked for the total only (`_count=0`) or `_total=accurate` — the true
   * total, counted by walking the pages (bounded: a search that large is refused, never guessed).
   */
  protected async pagedSearch(
    req: Request,
    res: Response,
    fetch: (page: { pageSize: number; pageToken: string }) => Promise<PlatformPage>,
    defaults?: Record<string, string[]>,
  ): Promise<Bundle> {
    const search = searchOf(req);
    const first = await fetch({ pageSize: Math.max(search.count, 1), pageToken: search.pageToken });
    let total = first.total ?? undefined;
    const accurate = search.one('_total') === 'accurate';
    if (total === undefined && (search.count === 0 || accurate) && search.wantTotal) {
      total = 0;
      let token = search.pageToken;
      for (let pages = 0; ; pages++) {
        if (pages >= TOTAL_WALK_PAGES)
          throw FhirError.of(
            400,
            'too-costly',
            'search.too-costly',
            `more than ${TOTAL_WALK_PAGES * TOTAL_WALK_PAGE_SIZE} matches: narrow the search to count them`,
          );
        const p = await fetch({ pageSize: TOTAL_WALK_PAGE_SIZE, pageToken: token });
        total += p.resources.length;
        if (!p.nextPageToken) break;
        token = p.nextPageToken;
      }
    }
    return this.searchset(req, res, first.resources, {
      count: search.count,
      nextPageToken: first.nextPageToken,
      total,
      ...(defaults ? { defaults } : {}),
    });
  }

  /** An empty searchset (the parameters ANDed cannot all match). */
  protected noMatch(req: Request, res: Response): Bundle {
    return this.searchset(req, res, [], { count: searchOf(req).count, total: 0 });
  }

  /**
   * Answers a searchset of `resources`. With `page`, adds the `next` link (the applied parameters,
   * the platform's page token) and the platform's total; without, the total is the entry count.
   * Links carry only the parameters applied (lenient handling drops the others, each named in an
   * OperationOutcome entry).
   */
  protected searchset(
    req: Request,
    res: Response,
    resources: Resource[],
    page?: SearchPage,
  ): Bundle {
    const search = searchOf(req);
    const url = this.searchUrl(req);
    const count = page?.count ?? search.count;
    const next =
      page?.nextPageToken && count > 0
        ? search.link(url, page.defaults ?? {}, page.nextPageToken)
        : undefined;
    const found = count === 0 ? [] : resources;
    const platformTotal =
      page?.total !== undefined && page.total !== null ? Number(page.total) : undefined;
    const total = platformTotal ?? (next || search.pageToken ? undefined : found.length);
    return sendFhir(
      res,
      200,
      bundle(
        'searchset',
        [
          ...found.map((r) => ({
            fullUrl: `${this.base}/${r.resourceType}/${r.id}`,
            resource: r,
            search: { mode: 'match' as const },
          })),
          ...droppedOutcome(search),
        ],
        { self: search.link(url), ...(next ? { next } : {}) },
        search.wantTotal ? total : undefined,
      ),
    );
  }

  /**
   * Validates an incoming resource at the chokepoint (FHIR R4 base + Trellis rules). A refusal
   * is counted (ConformanceViolation, as `recordAs` when an operation's Parameters are refused)
   * and answered as OperationOutcome. With `id` (update), a body id other than the URL's is refused.
   */
  protected async validated<T extends Resource>(
    req: Request,
    resourceType: T['resourceType'],
    interaction: string,
    opts: { mode?: 'create' | 'update'; recordAs?: string; id?: string } = {},
  ): Promise<T> {
    const body: unknown = req.body;
    const result = validateFhirResource(body, {
      resourceType,
      ...(opts.mode ? { mode: opts.mode } : {}),
      ...(opts.id !== undefined ? { id: opts.id } : {}),
    });
    if (result.valid) return body as T;
    await this.conformance.record(
      callerOf(req),
      opts.recordAs ?? resourceType,
      interaction,
      result.status,
      result.issues,
      forwardContext(req).correlationId,
    );
    throw new FhirError(result.status, result.issues);
  }

  /** Validates an operation's Parameters body (none = no parameters) for `type`. */
  protected parameters(req: Request, type: string, interaction: string): Promise<Parameters> {
    if (req.body === undefined || req.body === null) req.body = { resourceType: 'Parameters' };
    return this.validated<Parameters>(req, 'Parameters', interaction, { recordAs: type });
  }
}
