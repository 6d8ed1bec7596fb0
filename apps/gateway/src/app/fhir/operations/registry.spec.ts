import { readdirSync } from 'node:fs';

import { routeKey } from '../fhir.registry';
import { FHIR_ROUTES } from '../fhir.routes';
import { servedDefinition } from './fhir-operation';
import { FHIR_OPERATIONS } from './registry';

describe('the FHIR operations registry', () => {
  const ids = FHIR_OPERATIONS.map((o) => o.definition.id);

  it('lists every operation a controller serves, each bound by exactly one handler', () => {
    const served = FHIR_ROUTES.filter((r) => r.operation);
    expect(served.map((r) => r.operation!.id).sort()).toEqual([...ids].sort());
    for (const operation of FHIR_OPERATIONS) {
      const bound = FHIR_ROUTES.filter((r) => r.operation === operation.definition);
      expect({ id: operation.definition.id, handlers: bound.length }).toEqual({
        id: operation.definition.id,
        handlers: 1,
      });
      expect(bound[0]).toBe(operation.route);
    }
  });

  it('declares each operation in a file of its own that also exports its handler', async () => {
    const files = readdirSync(__dirname).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'),
    );
    const declaredIn = new Map<string, string[]>();
    for (const file of files) {
      const exports = (await import(`./${file.slice(0, -3)}`)) as Record<string, unknown>;
      const values = Object.values(exports);
      const declared = FHIR_OPERATIONS.filter((o) => values.includes(o));
      for (const o of declared)
        declaredIn.set(o.definition.id, [...(declaredIn.get(o.definition.id) ?? []), file]);
      if (declared.length === 0) continue;
      expect({ file, operations: declared.length }).toEqual({ file, operations: 1 });
      expect({ file, handler: values.some((v) => typeof v === 'function') }).toEqual({
        file,
        handler: true,
      });
    }
    expect([...declaredIn.keys()].sort()).toEqual([...ids].sort());
    for (const [id, where] of declaredIn)
      expect({ id, files: where.length }).toEqual({ id, files: 1 });
  });

  it('keeps the ids clients hold: <resource type or system>-<code>, unique', () => {
    expect(new Set(ids).size).toBe(ids.length);
    for (const { definition: d } of FHIR_OPERATIONS)
      expect(d.id).toBe(`${(d.system ? 'system' : d.resource[0]!).toLowerCase()}-${d.code}`);
  });

  it('serves each route at the path its definition names: [Type/][:id/]$code', () => {
    expect(FHIR_OPERATIONS.map((o) => routeKey(o.route))).toEqual(
      expect.arrayContaining([
        'GET /fhir/Patient/:id/$everything',
        'POST /fhir/Appointment/$book',
        'GET /fhir/$export',
        'GET /fhir/Group/:id/$export',
      ]),
    );
    for (const { definition: d, route } of FHIR_OPERATIONS) {
      expect(route.path.endsWith(`$${d.code}`)).toBe(true);
      expect(route.path.includes(':id/')).toBe(d.instance);
      expect(route.resource).toBe(d.system ? undefined : d.resource[0]);
      expect(d.name).toBe(d.code);
    }
  });

  it('serves a definition with the deployment canonical url, otherwise as declared', () => {
    const [first] = FHIR_OPERATIONS;
    const served = servedDefinition(first!.definition, 'https://fhir.example.nhs.uk');
    expect(served).toEqual({
      ...first!.definition,
      url: `https://fhir.example.nhs.uk/fhir/OperationDefinition/${first!.definition.id}`,
    });
    expect(Object.keys(served).slice(0, 3)).toEqual(['resourceType', 'id', 'url']);
  });
});
