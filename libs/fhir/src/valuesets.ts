import { readDefinitionJson } from './definition-files';

interface Concept {
  code?: string;
  concept?: Concept[];
}
interface Include {
  system?: string;
  concept?: Array<{ code?: string }>;
  filter?: unknown[];
  valueSet?: string[];
}
interface TerminologyResource {
  resourceType?: string;
  url?: string;
  concept?: Concept[];
  compose?: { include?: Include[]; exclude?: Include[] };
}

let codeSystems: Map<string, Concept[]> | undefined;
let valueSets: Map<string, TerminologyResource> | undefined;
const expanded = new Map<string, ReadonlySet<string> | null>();

function load(): void {
  if (codeSystems && valueSets) return;
  codeSystems = new Map();
  valueSets = new Map();
  for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
    const bundle = readDefinitionJson(file) as {
      entry?: Array<{ resource?: TerminologyResource }>;
    };
    for (const e of bundle.entry ?? []) {
      const r = e.resource;
      if (!r?.url) continue;
      if (r.resourceType === 'CodeSystem' && r.concept) codeSystems.set(r.url, r.concept);
      if (r.resourceType === 'ValueSet') valueSets.set(r.url, r);
    }
  }
}

function allCodes(concepts: readonly Concept[], into: Set<string>): void {
  for (const c of concepts) {
    if (c.code) into.add(c.code);
    if (c.concept) allCodes(c.concept, into);
  }
}

/** The codes an include/exclude names, or null when it cannot be enumerated (filters, external systems). */
function includeCodes(inc: Include, depth: number): Set<string> | null {
  if (inc.filter?.length) return null;
  const out = new Set<string>();
  if (inc.concept?.length) {
    for (const c of inc.concept) if (c.code) out.add(c.code);
  } else if (inc.system) {
    const cs = codeSystems!.get(inc.system);
    if (!cs) return null;
    allCodes(cs, out);
  }
  for (const url of inc.valueSet ?? []) {
    const nested = expand(url, depth + 1);
    if (!nested) return null;
    for (const c of nested) out.add(c);
  }
  return out;
}

function expand(url: string, depth: number): ReadonlySet<string> | null {
  const key = url.split('|')[0]!;
  const cached = expanded.get(key);
  if (cached !== undefined) return cached;
  load();
  const vs = valueSets!.get(key);
  let result: Set<string> | null = null;
  if (vs?.compose?.include?.length && depth < 5) {
    result = new Set();
    for (const inc of vs.compose.include) {
      const codes = includeCodes(inc, depth);
      if (!codes) {
        result = null;
        break;
      }
      for (const c of codes) result.add(c);
    }
    for (const exc of vs.compose.exclude ?? []) {
      if (!result) break;
      const codes = includeCodes(exc, depth);
      if (!codes) {
        result = null;
        break;
      }
      for (const c of codes) result.delete(c);
    }
  }
  expanded.set(key, result);
  return result;
}

/**
 * The codes of a FHIR R4 value set (canonical URL, version suffix ignored) when it can be
 * enumerated from the R4 definitions; undefined for value sets defined by filters or by external
 * code systems (mime types, languages, UCUM…), whose bindings are then left to other checks.
 */
export function valueSetCodes(url: string): ReadonlySet<string> | undefined {
  return expand(url, 0) ?? undefined;
}

/** Loads the R4 terminology once (call at boot with the StructureDefinitions). */
export function loadValueSets(): void {
  load();
}
