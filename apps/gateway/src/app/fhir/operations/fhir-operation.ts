import type { OperationDefinition, OperationDefinitionParameter } from '@medplum/fhirtypes';

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

/** One parameter of an operation (keys in the order the definition is served with). */
export function operationParameter(
  use: 'in' | 'out',
  name: string,
  type: string,
  min: number,
  max: string,
  documentation: string,
): OperationDefinitionParameter {
  return { name, use, min, max, documentation, type };
}

/** A free-text reason or note the operation takes (`min` 1: required). */
export function freeTextParameter(name: string, min: 0 | 1): OperationDefinitionParameter {
  return operationParameter('in', name, 'string', min, '1', 'Free-text reason or note');
}

/** The `return` out parameter: the one resource the operation answers with. */
export function returnParameter(type: string, documentation: string): OperationDefinitionParameter {
  return operationParameter('out', 'return', type, 1, '1', documentation);
}

/**
 * An active instance-level operation on one resource type (`/Type/{id}/$code`): the fields every
 * such definition shares follow from the resource type and code (id `<type>-<code>`).
 */
export function instanceOperationDefinition(
  resource: FhirOperationDefinition['resource'][number],
  code: string,
  spec: Pick<FhirOperationDefinition, 'description' | 'affectsState' | 'parameter'>,
): FhirOperationDefinition {
  return {
    resourceType: 'OperationDefinition',
    id: `${resource.toLowerCase()}-${code}`,
    name: code,
    status: 'active',
    kind: 'operation',
    description: spec.description,
    affectsState: spec.affectsState,
    code,
    resource: [resource],
    system: false,
    type: false,
    instance: true,
    parameter: spec.parameter,
  };
}
