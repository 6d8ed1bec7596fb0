import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { validateFhirResource } from '@trellis/fhir';

const dir = join(__dirname, '../../../test/fixtures');
const load = (sub: string) =>
  readdirSync(join(dir, sub))
    .filter((f) => f.endsWith('.json'))
    .map(
      (f) =>
        [
          f,
          JSON.parse(readFileSync(join(dir, sub, f), 'utf8')) as Record<string, unknown>,
        ] as const,
    );

describe('gateway FHIR fixtures against the validator (offline half of the table)', () => {
  it.each(load('ok'))('%s is valid', (_f, resource) => {
    expect(
      validateFhirResource(resource, {
        resourceType: String(resource['resourceType']),
        mode: 'create',
      }).issues,
    ).toEqual([]);
  });

  it.each(load('not-ok'))('%s is refused with its rule and path', (_f, fixture) => {
    const {
      expect: want,
      resource,
      endpoint,
    } = fixture as {
      expect: { status: number; rule: string; expression: string };
      resource: { resourceType: string };
      endpoint?: string;
    };
    const result = validateFhirResource(resource, {
      resourceType: endpoint ?? resource.resourceType,
      mode: 'create',
    });
    expect(result.valid).toBe(false);
    expect(result.status).toBe(want.status);
    expect(result.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: want.rule, expression: want.expression }),
      ]),
    );
  });
});
