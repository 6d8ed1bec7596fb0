import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { structuralIssues } from '@trellis/fhir';
import type { FhirResource } from 'fhir-kit-client';

/** A resource as fhir-kit-client's request bodies are typed. */
export const asBody = (r: Resource): FhirResource => r as unknown as FhirResource;

/** A searchset as fhir-kit-client's nextPage wants it (a Bundle with links). */
export const asPage = (b: Bundle) =>
  b as unknown as FhirResource & { link: Array<{ relation: string; url: string }> };

/** Every resource the gateway answers must pass the same FHIR R4 validator (Bundle entries too). */
export function expectValid(resource: Resource): void {
  expect(structuralIssues(resource)).toEqual([]);
  if (resource.resourceType === 'Bundle') {
    for (const e of resource.entry ?? [])
      if (e.resource) expect(structuralIssues(e.resource)).toEqual([]);
  }
}

type FhirKitError = { response?: { status: number; data: unknown } };

/** A refused fhir-kit-client call: its status and its OperationOutcome, itself validated. */
export async function failure(
  p: Promise<unknown>,
): Promise<{ status: number; outcome: OperationOutcome }> {
  try {
    await p;
  } catch (e) {
    const r = (e as FhirKitError).response;
    if (!r) throw e;
    const outcome = (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expectValid(outcome);
    return { status: r.status, outcome };
  }
  throw new Error('expected the request to fail');
}
