import { All, Controller, Req, UseFilters } from '@nestjs/common';
import { FhirError } from '@trellis/fhir';
import type { Request } from 'express';

import { FhirExceptionFilter } from './fhir.http';
import { FHIR_FALLBACK_PATH, FHIR_PREFIX, type FhirRouteSpec } from './fhir.registry';
import { FHIR_ROUTES } from './fhir.routes';

function pathPattern(spec: Pick<FhirRouteSpec, 'path'>): RegExp {
  const escaped = spec.path
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}$`);
}

/** Methods served for a path below /fhir (e.g. `Patient/9990000018` → GET, PUT). */
export function allowedMethods(
  path: string,
  routes: ReadonlyArray<Pick<FhirRouteSpec, 'method' | 'path'>> = FHIR_ROUTES,
): string[] {
  const methods = new Set<string>();
  for (const r of routes) if (pathPattern(r).test(path)) methods.add(r.method);
  return [...methods].sort();
}

/**
 * Anything under /fhir that no route serves: 405 (with Allow) when the path exists with other
 * methods, 404 naming the resource type otherwise, both as OperationOutcome.
 */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class FhirFallbackController {
  @All(FHIR_FALLBACK_PATH)
  notServed(@Req() req: Request): never {
    const path = req.path.replace(new RegExp(`^/${FHIR_PREFIX}/?`), '');
    const allowed = allowedMethods(path);
    if (allowed.length > 0) {
      throw FhirError.of(
        405,
        'not-supported',
        'http.method-not-allowed',
        `${req.method} is not supported on ${path} (allowed: ${allowed.join(', ')})`,
        undefined,
        { Allow: allowed.join(', ') },
      );
    }
    const type = path.split('/')[0] ?? '';
    const served = FHIR_ROUTES.some((r) => r.resource === type);
    throw FhirError.of(
      404,
      'not-found',
      served ? 'http.not-found' : 'http.unknown-resource-type',
      served
        ? `no ${type} interaction is served at ${path}`
        : `resource type ${type || '(none)'} is not served here (see /${FHIR_PREFIX}/metadata)`,
    );
  }
}
