import { Controller, Inject, Req, Res, UseFilters } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { CapabilityStatement, OperationDefinition } from '@medplum/fhirtypes';
import { FhirError } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { capabilityStatement, openApi } from './capability';
import { FHIR_CONFIG, backendConnected, type FhirConfig } from './fhir.config';
import { FhirExceptionFilter, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute, routeKey, type FhirRouteSpec } from './fhir.registry';
import { FHIR_ROUTES } from './fhir.routes';
import { servedDefinition } from './operations/fhir-operation';
import { FHIR_OPERATIONS } from './operations/registry';

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** metadata, OperationDefinitions and the OpenAPI document: all generated from the served routes. */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class MetadataFhirController {
  private served?: FhirRouteSpec[];

  constructor(
    @Inject(FHIR_CONFIG) private readonly config: FhirConfig,
    @Inject(HttpAdapterHost) private readonly adapter: HttpAdapterHost,
  ) {}

  /** The declared routes that the HTTP router really serves (checked against Express itself). */
  private routes(): FhirRouteSpec[] {
    if (this.served) return this.served;
    const app = this.adapter.httpAdapter.getInstance() as {
      router?: { stack: RouterLayer[] };
      _router?: { stack: RouterLayer[] };
    };
    const stack = app.router?.stack ?? app._router?.stack ?? [];
    const keys = new Set<string>();
    for (const layer of stack) {
      if (!layer.route) continue;
      for (const [m, on] of Object.entries(layer.route.methods))
        if (on) keys.add(`${m.toUpperCase()} ${layer.route.path}`);
    }
    this.served = FHIR_ROUTES.filter(
      (r) => keys.has(routeKey(r)) && (!r.platform || backendConnected(this.config, r.platform)),
    );
    return this.served;
  }

  @FhirRoute({
    method: 'GET',
    path: 'metadata',
    interaction: 'capabilities',
    summary: 'CapabilityStatement (generated from the served routes)',
  })
  metadata(@Res() res: Response): CapabilityStatement {
    return sendFhir(res, 200, capabilityStatement(this.routes(), this.config.publicUrl, '0.1.0'));
  }

  @FhirRoute({
    method: 'GET',
    path: 'OperationDefinition/:id',
    interaction: 'capabilities',
    summary: 'OperationDefinition of a served operation',
  })
  operationDefinition(@Req() req: Request, @Res() res: Response): OperationDefinition {
    const served = new Set(this.routes().map(routeKey));
    const operation = FHIR_OPERATIONS.find(
      (o) => o.definition.id === req.params['id'] && served.has(routeKey(o.route)),
    );
    if (!operation)
      throw FhirError.of(
        404,
        'not-found',
        'http.not-found',
        `OperationDefinition/${String(req.params['id'])} not found`,
      );
    return sendFhir(res, 200, servedDefinition(operation.definition, this.config.publicUrl));
  }

  @FhirRoute({
    method: 'GET',
    path: 'openapi.json',
    interaction: 'capabilities',
    summary: 'OpenAPI 3 document of the FHIR REST surface',
  })
  openapi(@Res() res: Response): Record<string, unknown> {
    res.status(200).json(openApi(this.routes(), this.config.publicUrl, '0.1.0'));
    return {};
  }
}
