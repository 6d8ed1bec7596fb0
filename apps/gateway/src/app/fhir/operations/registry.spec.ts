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
