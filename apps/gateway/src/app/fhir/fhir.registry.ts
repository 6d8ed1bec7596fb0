import 'reflect-metadata';

import {
  applyDecorators,
  RequestMethod,
  RequestMapping,
  SetMetadata,
  UseInterceptors,
  type Type,
} from '@nestjs/common';
import type { OperationDefinition, OperationDefinitionParameter } from '@medplum/fhirtypes';
import { type AuditSubjectExtractor, type ScopeRule } from '@trellis/auth';

import { type RouteBackend } from './fhir.config';
import { fhirMetricsInterceptor } from './fhir.metrics';
import { fhirSearchInterceptor, type FhirSearchParam } from './fhir.search';

/** FHIR interaction codes (CapabilityStatement.rest.resource.interaction / rest.interaction). */
export type FhirInteraction =
  | 'read'
  | 'vread'
  | 'update'
  | 'patch'
  | 'create'
  | 'delete'
  | 'search-type'
  | 'history-instance'
  | 'operation'
  | 'capabilities';

export type { FhirSearchParam } from './fhir.search';

/**
 * The OperationDefinition of a served operation as its file under operations/ declares it: the
 * FHIR resource without its canonical url (the deployment's, added when served).
 */
export type FhirOperationDefinition = Omit<
  OperationDefinition,
  'url' | 'resource' | 'parameter'
> & {
  resourceType: 'OperationDefinition';
  id: string;
  /** Operation name without `$`, e.g. `everything` (also its `code`). */
  name: string;
  code: string;
  kind: 'operation';
  status: 'active';
  description: string;
  affectsState: boolean;
  /** The one resource type of a type/instance operation; empty for a system operation. */
  resource: OperationDefinition['resource'] & string[];
  system: boolean;
  /** true: /Type/$op (or /$op), false: /Type/{id}/$op. */
  type: boolean;
  instance: boolean;
  parameter: OperationDefinitionParameter[];
};

/** One served FHIR route: Nest route + scope + capability, declared once on the handler. */
export interface FhirRouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below /fhir, Express syntax (e.g. `Patient/:id/_history/:vid`). */
  path: string;
  /** Resource type, or undefined for system-level routes (metadata). */
  resource?: string;
  interaction: FhirInteraction;
  /** The platform (or conformance service) that must be connected for this route to be advertised. */
  platform?: RouteBackend;
  /** SMART v2 scope required; undefined = public (listed in the scope table as public). */
  scope?: string;
  /** Touches patient data → access-audited. */
  patientData?: boolean;
  /** A citizen's patient token may call it too, for their own record (libs/auth patient-access). */
  patientAccess?: true;
  /**
   * The search parameters served (besides the common ones, see fhir.search.ts): the one table the
   * query is validated against and the CapabilityStatement declares.
   */
  searchParams?: readonly FhirSearchParam[];
  /** Entries per page when the search gives no `_count` (default 50). */
  defaultCount?: number;
  /** The operation's OperationDefinition (declared in operations/<id>.ts). */
  operation?: FhirOperationDefinition;
  /** Conditional create/update support flags for the CapabilityStatement. */
  conditionalCreate?: boolean;
  summary: string;
  /** How the access audit finds the patient (route param `id` is an NHS number by default). */
  subject?: AuditSubjectExtractor;
}

const FHIR_ROUTE = 'trellis:fhir-route';
export const FHIR_PREFIX = 'fhir';
/** The fallback route under /fhir (registered last, public: it reveals no more than metadata). */
export const FHIR_FALLBACK_PATH = '{*path}';
export const FHIR_FALLBACK_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

/** Declares a FHIR route: registers the Nest route and records the spec on the handler. */
export function FhirRoute(spec: FhirRouteSpec): MethodDecorator {
  const method =
    spec.method === 'GET'
      ? RequestMethod.GET
      : spec.method === 'POST'
        ? RequestMethod.POST
        : spec.method === 'DELETE'
          ? RequestMethod.DELETE
          : spec.method === 'PATCH'
            ? RequestMethod.PATCH
            : RequestMethod.PUT;
  const searches = spec.interaction === 'search-type' || spec.interaction === 'history-instance';
  return applyDecorators(
    RequestMapping({ path: spec.path, method }),
    SetMetadata(FHIR_ROUTE, spec),
    UseInterceptors(fhirMetricsInterceptor(spec)), // RED per FHIR interaction
    // the query checked against the declared table before the handler (searchOf(req))
    ...(searches
      ? [UseInterceptors(fhirSearchInterceptor(spec.searchParams ?? [], spec.defaultCount ?? 50))]
      : []),
    // a GET operation's query too: nothing in it is ignored ($everything serves no parameters)
    ...(spec.interaction === 'operation' && spec.method === 'GET'
      ? [UseInterceptors(fhirSearchInterceptor(spec.searchParams ?? [], 50, ['_format']))]
      : []),
  );
}

/** The routes declared on these controllers (in declaration order). */
export function fhirRoutesOf(controllers: ReadonlyArray<Type<unknown>>): FhirRouteSpec[] {
  const out: FhirRouteSpec[] = [];
  for (const c of controllers) {
    const proto = c.prototype as object;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const handler: unknown = Object.getOwnPropertyDescriptor(proto, name)?.value; // never run getters
      if (typeof handler !== 'function') continue;
      const spec = Reflect.getMetadata(FHIR_ROUTE, handler) as FhirRouteSpec | undefined;
      if (spec) out.push(spec);
    }
  }
  return out;
}

export function routeKey(spec: Pick<FhirRouteSpec, 'method' | 'path'>): string {
  return `${spec.method} /${FHIR_PREFIX}/${spec.path}`;
}

/** The scope-table rules of the FHIR routes (merged into the gateway's one table). */
export function fhirScopeRules(routes: readonly FhirRouteSpec[]): Record<string, ScopeRule> {
  const rules: Record<string, ScopeRule> = {};
  for (const r of routes) {
    if (!r.scope) {
      rules[routeKey(r)] = { public: true };
      continue;
    }
    const idSubject = (req: unknown) => {
      const id = (req as { params?: { id?: string } }).params?.id;
      return id ? { nhsNumber: id, resourceId: id } : {};
    };
    rules[routeKey(r)] = {
      scope: r.scope,
      ...(r.patientData ? { patientData: true, subject: r.subject ?? idSubject } : {}),
      ...(r.patientAccess ? { patientAccess: true as const } : {}),
      ...(r.resource ? { resourceType: r.resource } : {}),
    };
  }
  return rules;
}
