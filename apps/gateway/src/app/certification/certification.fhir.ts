import { Logger } from '@nestjs/common';
import type { Parameters, Resource } from '@medplum/fhirtypes';
import { FhirError, validateFhirResource } from '@trellis/fhir';
import type { Response } from 'express';

import { sendFhir } from '../fhir/fhir.http';

const logger = new Logger('Certification');

/**
 * One parameter of a conformance operation's Parameters body (none, or an empty body: undefined);
 * a body that is not Parameters, or a parameter given twice, is refused.
 */
export function sessionParameter(body: unknown, name: string): string | number | undefined {
  if (
    body === undefined ||
    body === null ||
    (typeof body === 'object' && Object.keys(body).length === 0)
  )
    return undefined;
  const p = body as Parameters;
  if (p.resourceType !== 'Parameters')
    throw FhirError.of(
      400,
      'invalid',
      'fhir.resource-type',
      'the body must be a Parameters resource',
    );
  const found = (p.parameter ?? []).filter((x) => x.name === name);
  if (found.length > 1)
    throw FhirError.of(
      400,
      'invalid',
      'operation.parameter',
      `parameter ${name} given more than once`,
    );
  const v = found[0];
  return v?.valueString ?? v?.valueCode ?? v?.valueId ?? v?.valueInteger ?? v?.valuePositiveInt;
}

/**
 * Sends a resource of the conformance kit after the FHIR validator accepted it (a 500 if our own
 * output is invalid).
 */
export function sendValidated(res: Response, status: number, resource: Resource): void {
  const { issues } = validateFhirResource(resource);
  if (issues.length > 0) {
    logger.error(
      `${resource.resourceType} failed validation: ${issues.map((i) => i.message).join('; ')}`,
    );
    throw FhirError.of(
      500,
      'exception',
      'fhir.outbound-invalid',
      `${resource.resourceType} could not be rendered`,
    );
  }
  sendFhir(res, status, resource);
}
