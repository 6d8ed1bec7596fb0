import * as production from './index';
import * as testing from '../testing';

// Which modules a barrel may re-export is checked for every lib in tools/test/production-barrels.spec.ts.
describe('the production barrel of @trellis/auth', () => {
  it('shares no export with the @trellis/auth/testing entry point', () => {
    const testOnly = Object.keys(testing);
    expect(testOnly).toEqual(
      expect.arrayContaining(['createTestAuthority', 'forwardedTestKit', 'runGrpcScopeMatrix']),
    );
    expect(testOnly.filter((name) => name in production)).toEqual([]);
  });
});
