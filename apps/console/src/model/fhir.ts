// The few FHIR R4 shapes the console reads, and helpers over them (no FHIR library in the bundle).

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}

export interface Extension {
  url: string;
  valueCode?: string;
  valueString?: string;
  valueInteger?: number;
  valueDecimal?: number;
  valueDateTime?: string;
  valueBoolean?: boolean;
}

export interface Bundle<T> {
  resourceType?: 'Bundle';
  total?: number;
  entry?: Array<{ resource?: T | { resourceType: string } }>;
}

/** The entries of a bundle of one resource type (OperationOutcome entries and others left out). */
export function resourcesOf<T extends { resourceType: string }>(
  bundle: Bundle<T> | undefined,
  type: T['resourceType'],
): T[] {
  return (bundle?.entry ?? []).flatMap((e) =>
    e.resource && e.resource.resourceType === type ? [e.resource as T] : [],
  );
}

export function extensionOf(
  holder: { extension?: Extension[] } | undefined,
  url: string,
): Extension | undefined {
  return holder?.extension?.find((x) => x.url === url);
}

/** The code of a concept (first coding), else its text. */
export const codeOf = (c: CodeableConcept | undefined): string =>
  c?.coding?.[0]?.code ?? c?.text ?? '';
