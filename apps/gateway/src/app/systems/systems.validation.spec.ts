import { SystemsError } from './systems.errors';
import { checkKeys, checkRegionScopes, checkScopes, Violations } from './systems.validation';

const ecKey = { kty: 'EC', crv: 'P-384', x: 'x', y: 'y', kid: 'k1', alg: 'ES384' };

function violationsOf(fn: (v: Violations) => void): string[] {
  const v = new Violations();
  fn(v);
  return v.list.map((x) => `${x.field}: ${x.message}`);
}

function rulesOf(fn: (v: Violations) => void): { field: string; rule: string }[] {
  const v = new Violations();
  fn(v);
  return v.list.map(({ field, rule }) => ({ field, rule }));
}

describe('registry validation', () => {
  it('accepts a public JWKS with allowed algorithms', () => {
    const v = new Violations();
    const keys = checkKeys(v, 'keys', { jwksJson: JSON.stringify({ keys: [ecKey] }) });
    expect(v.list).toEqual([]);
    expect(keys.jwks?.keys).toHaveLength(1);
  });

  it.each([
    ['private key material', { keys: [{ ...ecKey, d: 'secret' }] }, /public key/],
    ['RS256', { keys: [{ ...ecKey, alg: 'RS256' }] }, /alg must be/],
    ['missing kid', { keys: [{ ...ecKey, kid: undefined }] }, /kid is required/],
    ['duplicate kid', { keys: [ecKey, ecKey] }, /duplicate kid/],
    ['empty set', { keys: [] }, /1 to 10 keys/],
  ])('refuses a JWKS with %s', (_n, doc, msg) => {
    expect(
      violationsOf((v) => checkKeys(v, 'keys', { jwksJson: JSON.stringify(doc) })).join('\n'),
    ).toMatch(msg);
  });

  it('requires exactly one key source and https URLs (http only for loopback)', () => {
    expect(violationsOf((v) => checkKeys(v, 'keys', {}))).toEqual([
      'keys: exactly one of jwks_json or jwks_url is required',
    ]);
    expect(
      violationsOf((v) => checkKeys(v, 'keys', { jwksUrl: 'http://evil.example/jwks' })),
    ).toHaveLength(1);
    expect(
      violationsOf((v) => checkKeys(v, 'keys', { jwksUrl: 'http://127.0.0.1:9000/jwks' })),
    ).toEqual([]);
    expect(
      violationsOf((v) => checkKeys(v, 'keys', { jwksUrl: 'https://keys.example/jwks.json' })),
    ).toEqual([]);
  });

  it('validates scopes and reports each bad one with its index', () => {
    expect(
      violationsOf((v) =>
        checkScopes(v, 'allowed_scopes', ['system/Patient.rs', 'system/Patient.sr', 'root']),
      ),
    ).toEqual([
      'allowed_scopes[1]: unknown or malformed scope "system/Patient.sr"',
      'allowed_scopes[2]: unknown or malformed scope "root"',
    ]);
  });

  it('accepts the Trellis scopes a system may be granted, identity administration included', () => {
    expect(
      violationsOf((v) =>
        checkScopes(v, 'allowed_scopes', [
          'trellis/admin',
          'trellis/restricted.read',
          'trellis/identity.admin',
        ]),
      ),
    ).toEqual([]);
  });

  it('throws one INVALID_ARGUMENT error with every violation', () => {
    const v = new Violations();
    v.add('a', 'x');
    v.add('b', 'y');
    try {
      v.throwIfAny();
      throw new Error('expected a throw');
    } catch (e) {
      expect(e).toBeInstanceOf(SystemsError);
      expect((e as SystemsError).kind).toBe('INVALID_ARGUMENT');
      expect((e as SystemsError).details).toHaveLength(2);
    }
  });

  it('gives region scopes only to a regional authority, for its own region', () => {
    const ne = { odsCode: 'YRA01', region: 'north-east' };
    const scopes = ['region/north-east/systems.write', 'region/north-east/waiting-lists.read'];
    expect(rulesOf((v) => checkRegionScopes(v, 'allowed_scopes', scopes, ne))).toEqual([]);
    expect(
      rulesOf((v) =>
        checkRegionScopes(
          v,
          'allowed_scopes',
          ['system/Patient.rs', 'region/london/audit.read'],
          ne,
        ),
      ),
    ).toEqual([{ field: 'allowed_scopes[1]', rule: 'region-scope.other-region' }]);
    // the system's region must be the authority's too
    expect(
      rulesOf((v) =>
        checkRegionScopes(v, 'allowed_scopes', ['region/london/audit.read'], {
          odsCode: 'YRA01',
          region: 'london',
        }),
      ),
    ).toEqual([{ field: 'allowed_scopes[0]', rule: 'region-scope.other-region' }]);
    // a GP practice or the national operator's organisation may not hold one
    for (const odsCode of ['A81001', 'X26', 'QHM'])
      expect(
        rulesOf((v) =>
          checkRegionScopes(v, 'allowed_scopes', ['region/north-east/systems.read'], {
            odsCode,
            region: 'north-east',
          }),
        ),
      ).toEqual([{ field: 'allowed_scopes[0]', rule: 'region-scope.not-authority' }]);
  });
});
