import type { CapabilityStatement } from '@medplum/fhirtypes';
import { BACKPORT_TOPIC_CANONICAL, SUBSCRIPTION_TOPICS, TRELLIS_RULES } from '@trellis/fhir';

import { FHIR_PREFIX, routeKey, type FhirRouteSpec } from './fhir.registry';
import { COMMON_SEARCH_PARAMS } from './fhir.search';
import { RESOURCE_DOCS } from './resource-docs';

const SMART_SERVICE = {
  coding: [
    {
      system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
      code: 'SMART-on-FHIR',
    },
  ],
  text: 'SMART Backend Services (OAuth2 client credentials, private_key_jwt)',
};

/** CapabilityStatement generated from the routes actually served (never hand-written). */
export function capabilityStatement(
  routes: readonly FhirRouteSpec[],
  publicUrl: string,
  version: string,
): CapabilityStatement {
  const base = `${publicUrl}/${FHIR_PREFIX}`;
  const byType = new Map<string, FhirRouteSpec[]>();
  const systemOps = routes.filter((r) => !r.resource && r.operation);
  for (const r of routes) {
    if (!r.resource) continue;
    byType.set(r.resource, [...(byType.get(r.resource) ?? []), r]);
  }
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    publisher: 'Trellis',
    kind: 'instance',
    software: { name: 'Trellis FHIR gateway', version },
    implementation: {
      description:
        'Trellis FHIR R4 facade over the identity, appointments, referrals and results platforms',
      url: base,
    },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    ...(routes.some((r) => r.interaction === 'patch')
      ? { patchFormat: ['application/json-patch+json'] }
      : {}),
    rest: [
      {
        mode: 'server',
        security: {
          cors: false,
          service: [SMART_SERVICE],
          description: `Bearer access tokens from ${publicUrl}/oauth2/token (SMART Backend Services; see ${publicUrl}/.well-known/smart-configuration). Scopes are SMART v2 system scopes. Validation rules: ${Object.keys(TRELLIS_RULES).length} Trellis rules (OperationOutcome issue.details.coding).`,
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [{ url: 'token', valueUri: `${publicUrl}/oauth2/token` }],
            },
          ],
        },
        // the common parameters every search and history interaction serves
        searchParam: COMMON_SEARCH_PARAMS.map((p) => ({
          name: p.name,
          type: p.type,
          documentation: p.documentation,
        })),
        // system-level operations ($export)
        ...(systemOps.length
          ? {
              operation: systemOps.map((r) => ({
                name: r.operation!.name,
                definition: `${base}/OperationDefinition/${operationId(r)}`,
                documentation: r.summary,
              })),
            }
          : {}),
        resource: [...byType.entries()].map(([type, rs]) => {
          const interactions = [
            ...new Set(rs.filter((r) => r.interaction !== 'operation').map((r) => r.interaction)),
          ];
          // exactly the table each search validates against (fhir.search.ts); the common
          // parameters are declared once, in rest.searchParam; an operation's parameters are its
          // OperationDefinition's, not the type's search parameters
          const common = new Set(COMMON_SEARCH_PARAMS.map((p) => p.name));
          const search = rs
            .filter((r) => r.interaction !== 'operation')
            .flatMap((r) => r.searchParams ?? [])
            .filter((p) => !common.has(p.name));
          const ops = rs.filter((r) => r.operation);
          return {
            // the topics a Subscription may name (Subscriptions R5 Backport IG on R4)
            ...(type === 'Subscription'
              ? {
                  extension: SUBSCRIPTION_TOPICS.map((t) => ({
                    url: BACKPORT_TOPIC_CANONICAL,
                    valueCanonical: t.url,
                  })),
                }
              : {}),
            type: type as 'Patient',
            profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
            ...(RESOURCE_DOCS[type] ? { documentation: RESOURCE_DOCS[type] } : {}),
            interaction: interactions.map((code) => ({
              code: code as 'read',
              documentation: rs.find((r) => r.interaction === code)!.summary,
            })),
            versioning: 'versioned-update' as const,
            readHistory: interactions.includes('vread'),
            updateCreate: false,
            conditionalCreate: rs.some((r) => r.conditionalCreate === true),
            conditionalUpdate: false,
            conditionalDelete: 'not-supported' as const,
            ...(search.length
              ? {
                  searchParam: search.map((p) => ({
                    name: p.name,
                    type: p.type,
                    documentation: p.documentation,
                  })),
                }
              : {}),
            ...(ops.length
              ? {
                  operation: ops.map((r) => ({
                    name: r.operation!.name,
                    definition: `${base}/OperationDefinition/${operationId(r)}`,
                    documentation: r.summary,
                  })),
                }
              : {}),
          };
        }),
      },
    ],
  };
}

export function operationId(r: FhirRouteSpec): string {
  return r.operation!.id;
}

/** OpenAPI 3.0 document of the same routes (for client generators and fuzzers). */
export function openApi(
  routes: readonly FhirRouteSpec[],
  publicUrl: string,
  version: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const outcome = { $ref: '#/components/schemas/OperationOutcome' };
  for (const r of routes) {
    const path = `/${FHIR_PREFIX}/${r.path}`.replace(/:(\w+)/g, '{$1}');
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const searches = r.interaction === 'search-type' || r.interaction === 'history-instance';
    const query = [...(r.searchParams ?? []), ...(searches ? COMMON_SEARCH_PARAMS : [])].map(
      (p) => ({
        name: p.name,
        in: 'query',
        required: false,
        description: p.documentation,
        schema: { type: p.type === 'number' ? 'number' : 'string' },
      }),
    );
    const headers = [
      ...(r.conditionalCreate
        ? [{ name: 'If-None-Exist', in: 'header', required: false, schema: { type: 'string' } }]
        : []),
      ...(r.interaction === 'update' || r.interaction === 'patch'
        ? [
            {
              name: 'If-Match',
              in: 'header',
              required: false,
              schema: { type: 'string', example: 'W/"1"' },
            },
          ]
        : []),
    ];
    const errors = Object.fromEntries(
      ['400', '401', '403', '404', '409', '412', '413', '415', '422', '429', '500', '503'].map(
        (s) => [
          s,
          {
            description: 'OperationOutcome',
            content: { 'application/fhir+json': { schema: outcome } },
          },
        ],
      ),
    );
    paths[path] = {
      ...(paths[path] ?? {}),
      [r.method.toLowerCase()]: {
        operationId: routeKey(r).replace(/[^A-Za-z0-9]+/g, '_'),
        summary: r.summary,
        tags: [r.resource ?? 'system'],
        ...(r.scope ? { security: [{ smart: [r.scope] }] } : { security: [] }),
        parameters: [...params, ...query, ...headers],
        ...(r.method === 'POST' || r.method === 'PUT'
          ? {
              requestBody: {
                required: true,
                content: {
                  'application/fhir+json': {
                    schema: { $ref: `#/components/schemas/${r.resource ?? 'Resource'}` },
                  },
                },
              },
            }
          : r.method === 'PATCH'
            ? {
                requestBody: {
                  required: true,
                  content: {
                    'application/json-patch+json': {
                      schema: { type: 'array', items: { type: 'object' } },
                    },
                  },
                },
              }
            : {}),
        responses: {
          [r.interaction === 'create' ? '201' : '200']: {
            description: r.summary,
            content: {
              'application/fhir+json': {
                schema: {
                  $ref: `#/components/schemas/${r.interaction.startsWith('search') || r.interaction.startsWith('history') || r.operation ? 'Bundle' : r.interaction === 'capabilities' ? 'Resource' : (r.resource ?? 'Resource')}`,
                },
              },
            },
          },
          ...errors,
        },
      },
    };
  }
  const schemaNames = new Set([
    'OperationOutcome',
    'Bundle',
    'Resource',
    ...routes.flatMap((r) => (r.resource ? [r.resource] : [])),
  ]);
  return {
    openapi: '3.0.3',
    info: { title: 'Trellis FHIR R4 gateway', version },
    servers: [{ url: publicUrl }],
    paths,
    components: {
      securitySchemes: {
        smart: {
          type: 'oauth2',
          flows: {
            clientCredentials: {
              tokenUrl: `${publicUrl}/oauth2/token`,
              scopes: Object.fromEntries(
                routes.filter((r) => r.scope).map((r) => [r.scope!, r.summary]),
              ),
            },
          },
        },
      },
      schemas: Object.fromEntries(
        [...schemaNames].map((n) => [
          n,
          {
            type: 'object',
            required: ['resourceType'],
            properties: {
              resourceType: { type: 'string', ...(n === 'Resource' ? {} : { enum: [n] }) },
            },
            additionalProperties: true,
            ...(RESOURCE_DOCS[n] ? { description: RESOURCE_DOCS[n] } : {}),
            externalDocs: { url: `http://hl7.org/fhir/R4/${n.toLowerCase()}.html` },
          },
        ]),
      ),
    },
  };
}
