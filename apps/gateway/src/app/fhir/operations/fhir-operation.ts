import type { OperationDefinition } from '@medplum/fhirtypes';

import {
  FHIR_PREFIX,
  FhirRoute,
  type FhirOperationDefinition,
  type FhirRouteSpec,
} from '../fhir.registry';

/** What of a served route an operation's OperationDefinition does not already say. */
export type FhirOperationBinding = Omit<
  FhirRouteSpec,
  'path' | 'resource' | 'interaction' | 'operation'
>;

/**
 * One FHIR operation as its file declares it (Medplum's way): the OperationDefinition resource,
 * and the route that serves it. The path, resource type and instance level come from the
 * definition, so the two cannot disagree.
 */
export interface FhirOperation {
  readonly definition: FhirOperationDefinition;
  readonly route: FhirRouteSpec;
}

export function fhirOperation(
  definition: FhirOperationDefinition,
  binding: FhirOperationBinding,
): FhirOperation {
  const resource = definition.system ? undefined : definition.resource[0];
  if (!definition.system && (definition.resource.length !== 1 || resource === undefined))
    throw new Error(`OperationDefinition/${definition.id}: one resource type expected`);
  if (definition.type === definition.instance)
    throw new Error(`OperationDefinition/${definition.id}: either type or instance level`);
  const path = `${resource ? `${resource}/` : ''}${definition.instance ? ':id/' : ''}$${definition.code}`;
  return {
    definition,
    route: {
      ...binding,
      path,
      ...(resource ? { resource } : {}),
      interaction: 'operation',
      operation: definition,
    },
  };
}

/** Binds a controller method as the handler of the operation (its Nest route, scope, metrics). */
export function ServeOperation(operation: FhirOperation): MethodDecorator {
  return FhirRoute(operation.route);
}

/** The OperationDefinition as served: with this deployment's canonical url. */
export function servedDefinition(
  definition: FhirOperationDefinition,
  publicUrl: string,
): OperationDefinition {
  const { resourceType, id, ...rest } = definition;
  return {
    resourceType,
    id,
    url: `${publicUrl}/${FHIR_PREFIX}/OperationDefinition/${id}`,
    ...rest,
  };
}
