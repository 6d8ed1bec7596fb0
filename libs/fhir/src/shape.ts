import { tryGetDataType, type InternalSchemaElement, type InternalTypeSchema } from '@medplum/core';

import { narrativeProblem } from './narrative';
import type { FhirIssue, IssueCode } from './outcome';
import { valueSetCodes } from './valuesets';

/**
 * The JSON shape of a resource against the FHIR R4 StructureDefinitions, checked before anything
 * else reads it: every element has its JSON type (object, array, string, number, boolean), no
 * unknown element, required value-set bindings of codes, narrative rules, resource ids, and bounds
 * on depth, size and the number of issues. Strings are never walked as arrays, so one long string
 * is one issue. Only a body that passes this reaches the detailed validator and the mappers.
 */
export interface ShapeLimits {
  /** Deepest nesting of objects/arrays (the root resource is depth 0). */
  maxDepth: number;
  /** Most JSON values (objects, arrays, primitives) looked at. */
  maxNodes: number;
  /** Most issues collected before the walk stops. */
  maxIssues: number;
}

export const DEFAULT_SHAPE_LIMITS: ShapeLimits = { maxDepth: 32, maxNodes: 20_000, maxIssues: 50 };

/** FHIR id syntax (R4 `id` datatype). */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

const NUMBER_TYPES = new Set(['integer', 'positiveInt', 'unsignedInt', 'decimal', 'integer64']);
const DATE_TYPES = new Set(['date', 'dateTime', 'instant']);
const SYSTEM_STRING = 'http://hl7.org/fhirpath/System.String';
// C0 controls other than tab, LF, CR; lone surrogates (not Unicode text)
const BAD_CHAR =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MAX_CODES_LISTED = 20;

type Json = Record<string, unknown>;

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A key as it appears in a reported path: bounded, no control characters. */
function keyOf(key: string): string {
  const safe = key.replace(/[\u0000-\u001F\u007F]/g, '?');
  return safe.length <= 64 ? safe : `${safe.slice(0, 63)}…`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function isPrimitiveType(code: string): boolean {
  if (code === SYSTEM_STRING || code.startsWith('http://hl7.org/fhirpath/System.')) return true;
  return /^[a-z]/.test(code);
}

interface Resolved {
  element: InternalSchemaElement;
  /** The element's type code for this key (a choice's chosen type). */
  type: string;
  /** Path segment as reported: the key, or `name[x]` for a choice. */
  segment: string;
}

function resolveElement(schema: InternalTypeSchema, key: string): Resolved | undefined {
  // own keys only: `constructor`, `toString`… are not elements (and must not reach a prototype)
  const direct = Object.hasOwn(schema.elements, key) ? schema.elements[key] : undefined;
  if (direct) {
    const code = direct.type[0]?.code;
    return code ? { element: direct, type: code, segment: key } : undefined;
  }
  for (const [name, element] of Object.entries(schema.elements)) {
    if (!name.endsWith('[x]')) continue;
    const base = name.slice(0, -3);
    if (!key.startsWith(base) || key.length === base.length) continue;
    const suffix = key.slice(base.length);
    const t = element.type.find((ty) => capitalise(ty.code) === suffix);
    if (t) return { element, type: t.code, segment: name };
  }
  return undefined;
}

class ShapeWalk {
  readonly issues: FhirIssue[] = [];
  private nodes = 0;
  private stopped = false;

  constructor(private readonly limits: ShapeLimits) {}

  private report(rule: string, expression: string, message: string, code: IssueCode = 'structure') {
    if (this.stopped) return;
    this.issues.push({ severity: 'error', code, rule, expression, message });
    if (this.issues.length >= this.limits.maxIssues) this.stopped = true;
  }

  /** Counts a value and checks the depth; false when the walk must not go further. */
  private enter(path: string, depth: number): boolean {
    if (this.stopped) return false;
    if (++this.nodes > this.limits.maxNodes) {
      this.report(
        'fhir.too-complex',
        path,
        `the resource has more than ${this.limits.maxNodes} values`,
        'too-costly',
      );
      this.stopped = true;
      return false;
    }
    if (depth > this.limits.maxDepth) {
      this.report(
        'fhir.depth',
        path,
        `elements nest deeper than ${this.limits.maxDepth} levels`,
        'too-costly',
      );
      this.stopped = true;
      return false;
    }
    return true;
  }

  resource(value: unknown, path: string, depth: number, expected?: string): void {
    if (!this.enter(path, depth)) return;
    if (!isPlainObject(value)) {
      this.report(
        'fhir.datatype',
        path,
        `${path} must be a JSON object (a resource), got ${jsonType(value)}`,
      );
      return;
    }
    const type = value['resourceType'];
    const schema = typeof type === 'string' ? tryGetDataType(type) : undefined;
    if (typeof type !== 'string' || !schema || schema.kind !== 'resource') {
      this.report(
        'fhir.resource-type',
        `${path}.resourceType`,
        'resourceType must name a FHIR R4 resource type',
        'invalid',
      );
      return;
    }
    if (expected && type !== expected) return; // the caller reports a mismatch its own way
    const id = value['id'];
    if (id !== undefined && (typeof id !== 'string' || !FHIR_ID.test(id))) {
      this.report(
        'fhir.id',
        `${path}.id`,
        'a resource id is 1-64 characters: letters, digits, "-" and "."',
        'value',
      );
    }
    this.object(value, schema, path, depth, true);
  }

  private object(
    value: Json,
    schema: InternalTypeSchema,
    path: string,
    depth: number,
    isResource: boolean,
  ) {
    for (const key of Object.keys(value)) {
      if (this.stopped) return;
      if (isResource && key === 'resourceType') continue;
      if (isResource && key === 'id') continue; // checked against the id syntax above
      const child = value[key];
      if (key.startsWith('_')) {
        this.primitiveExtension(schema, key, child, path, depth);
        continue;
      }
      const resolved = resolveElement(schema, key);
      if (!resolved) {
        this.report(
          'fhir.unknown-element',
          `${path}.${keyOf(key)}`,
          `${keyOf(key)} is not an element of ${schema.name}`,
        );
        continue;
      }
      this.element(resolved, child, `${path}.${resolved.segment}`, depth + 1);
    }
  }

  private element(r: Resolved, value: unknown, path: string, depth: number): void {
    if (r.element.isArray) {
      if (!Array.isArray(value)) {
        this.enter(path, depth);
        this.report('fhir.cardinality', path, `${path} must be an array, got ${jsonType(value)}`);
        return;
      }
      if (!this.enter(path, depth)) return;
      value.forEach((item, i) => this.typed(r, item, `${path}[${i}]`, depth + 1));
      return;
    }
    if (Array.isArray(value)) {
      this.enter(path, depth);
      this.report('fhir.cardinality', path, `${path} takes a single value, got an array`);
      return;
    }
    this.typed(r, value, path, depth);
  }

  private typed(r: Resolved, value: unknown, path: string, depth: number): void {
    if (!this.enter(path, depth)) return;
    const type = r.type;
    if (type === 'Resource' || type === 'DomainResource') {
      this.resource(value, path, depth);
      return;
    }
    if (isPrimitiveType(type)) {
      this.primitive(r, type, value, path);
      return;
    }
    const schema = tryGetDataType(type);
    if (!isPlainObject(value)) {
      this.report(
        'fhir.datatype',
        path,
        `${path} must be a JSON object (${type}), got ${jsonType(value)}`,
      );
      return;
    }
    if (!schema) return; // a type the definitions do not describe: left to the validator
    if (type === 'Narrative' && typeof value['div'] === 'string') {
      const problem = narrativeProblem(value['div']);
      if (problem) this.report('fhir.narrative', `${path}.div`, problem, 'value');
    }
    this.object(value, schema, path, depth, false);
  }

  private primitive(r: Resolved, type: string, value: unknown, path: string): void {
    const want = type === 'boolean' ? 'boolean' : NUMBER_TYPES.has(type) ? 'number' : 'string';
    if (typeof value !== want || (want === 'number' && !Number.isFinite(value))) {
      this.report(
        'fhir.datatype',
        path,
        `${path} must be a JSON ${want} (${type}), got ${jsonType(value)}`,
      );
      return;
    }
    if (typeof value !== 'string') return;
    if (BAD_CHAR.test(value)) {
      this.report('fhir.datatype', path, `${path} contains a control character or invalid Unicode`);
      return;
    }
    if (
      DATE_TYPES.has(type) &&
      /^\d{4}-\d{2}/.test(value) &&
      Number.isNaN(Date.parse(value.length === 7 ? `${value}-01` : value))
    ) {
      this.report('fhir.datatype', path, `${path} is not a real ${type}`);
      return;
    }
    const binding = r.element.binding;
    if (type === 'code' && binding?.strength === 'required' && binding.valueSet) {
      const codes = valueSetCodes(binding.valueSet);
      if (codes && !codes.has(value)) {
        const list = [...codes];
        const shown = list.slice(0, MAX_CODES_LISTED).join(', ');
        const more = list.length > MAX_CODES_LISTED ? `, … (${list.length} codes)` : '';
        const name = binding.valueSet.split('|')[0]!.split('/').pop();
        this.report(
          'fhir.value-set',
          path,
          `${path} "${value}" is not in the required value set ${name}: ${shown}${more}`,
          'code-invalid',
        );
      }
    }
  }

  /** `_name`: the id/extensions of primitive `name` (an object, or an array of objects/nulls). */
  private primitiveExtension(
    schema: InternalTypeSchema,
    key: string,
    value: unknown,
    path: string,
    depth: number,
  ) {
    const resolved = resolveElement(schema, key.slice(1));
    const at = `${path}.${keyOf(key)}`;
    if (!resolved || !isPrimitiveType(resolved.type)) {
      this.report('fhir.unknown-element', at, `${keyOf(key)} is not an element of ${schema.name}`);
      return;
    }
    const element = tryGetDataType('Element');
    const one = (v: unknown, p: string, d: number) => {
      if (!this.enter(p, d)) return;
      if (!isPlainObject(v)) {
        this.report('fhir.datatype', p, `${p} must be a JSON object (Element), got ${jsonType(v)}`);
        return;
      }
      if (element) this.object(v, element, p, d, false);
    };
    if (resolved.element.isArray) {
      if (!Array.isArray(value)) {
        this.report('fhir.cardinality', at, `${at} must be an array, got ${jsonType(value)}`);
        return;
      }
      if (!this.enter(at, depth + 1)) return;
      value.forEach((v, i) => {
        if (v !== null) one(v, `${at}[${i}]`, depth + 2);
      });
      return;
    }
    one(value, at, depth + 1);
  }
}

/**
 * Shape issues of a resource body (empty when every element has its FHIR JSON type). The walk
 * stops at `limits.maxIssues` issues, the nesting and size bounds.
 */
export function shapeIssues(
  resource: Json,
  resourceType: string,
  limits: ShapeLimits = DEFAULT_SHAPE_LIMITS,
): FhirIssue[] {
  const walk = new ShapeWalk(limits);
  walk.resource(resource, resourceType, 0, resourceType);
  return walk.issues;
}
