import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as production from './index';
import * as testing from '../testing';

describe('the production barrel of @trellis/auth', () => {
  it('re-exports only production modules of src/ (no test helper, no spec)', () => {
    const barrel = readFileSync(join(__dirname, 'index.ts'), 'utf8');
    const modules = [...barrel.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
    expect(modules.length).toBeGreaterThan(0);
    const offending = modules.filter(
      (m) => !/^\.\/[a-z0-9.-]+$/.test(m) || /(^|[/.-])(testing|spec|test)([/.-]|$)/.test(m),
    );
    expect(offending).toEqual([]);
  });

  it('shares no export with the @trellis/auth/testing entry point', () => {
    const testOnly = Object.keys(testing);
    expect(testOnly).toEqual(
      expect.arrayContaining(['createTestAuthority', 'forwardedTestKit', 'runGrpcScopeMatrix']),
    );
    expect(testOnly.filter((name) => name in production)).toEqual([]);
  });
});
