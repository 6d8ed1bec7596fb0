import { isValidScope, parseScope, scopeSatisfies, scopesWithin, splitScopes } from './scopes';

describe('SMART v2 scopes', () => {
  it.each([
    ['system/Patient.r', true],
    ['system/Patient.rs', true],
    ['system/Appointment.cruds', true],
    ['system/*.rs', true],
    ['system/Observation.rs?category=laboratory', true],
    ['trellis/admin', true],
    ['trellis/restricted.read', true],
    ['trellis/identity.admin', true],
    ['trellis/region.admin', true],
    ['system/Patient.read', true], // v1 alias
    ['system/Patient.sr', false], // out of order
    ['system/Patient.rr', false], // duplicate
    ['system/Patient.x', false],
    ['system/Patient.', false],
    ['system/patient.r', false],
    ['trellis/root', false],
    ['admin', false],
    ['', false],
  ])('%s valid=%s', (scope, valid) => {
    expect(isValidScope(scope)).toBe(valid);
  });

  it('letter-subset semantics', () => {
    expect(scopeSatisfies(['system/Patient.rs'], 'system/Patient.r')).toBe(true);
    expect(scopeSatisfies(['system/Patient.rs'], 'system/Patient.s')).toBe(true);
    expect(scopeSatisfies(['system/Patient.r'], 'system/Patient.s')).toBe(false);
    expect(scopeSatisfies(['system/Patient.r'], 'system/Patient.rs')).toBe(false);
    expect(scopeSatisfies(['system/Patient.r', 'system/Patient.s'], 'system/Patient.rs')).toBe(
      true,
    );
    expect(scopeSatisfies(['system/*.cruds'], 'system/Appointment.d')).toBe(true);
    expect(scopeSatisfies(['system/Appointment.cruds'], 'system/Patient.r')).toBe(false);
    expect(scopeSatisfies(['patient/Patient.rs'], 'system/Patient.r')).toBe(false); // context differs
    expect(scopeSatisfies(['system/Patient.read'], 'system/Patient.s')).toBe(true);
  });

  it("answers a frozen list (a verified token's) as it answers the same list unfrozen, asked twice", () => {
    const granted = [
      'system/Patient.rs',
      'system/Observation.r?category=laboratory',
      'trellis/admin',
    ];
    const frozen = Object.freeze([...granted]);
    const required = [
      'system/Patient.r',
      'system/Patient.rs',
      'system/Patient.c',
      'system/Observation.r',
      'system/Observation.r?category=laboratory',
      'trellis/admin',
      'trellis/identity.admin',
      'region/london.systems.read',
      'not a scope',
    ];
    for (const r of required) {
      const expected = scopeSatisfies([...granted], r);
      expect([r, scopeSatisfies(frozen, r)]).toEqual([r, expected]);
      expect([r, scopeSatisfies(frozen, r)]).toEqual([r, expected]);
    }
  });

  it('asks a list that can still change again on every call', () => {
    const granted = ['system/Patient.r'];
    expect(scopeSatisfies(granted, 'system/Patient.s')).toBe(false);
    granted.push('system/Patient.s');
    expect(scopeSatisfies(granted, 'system/Patient.s')).toBe(true);
  });

  it('granular scopes never satisfy the resource-wide requirement', () => {
    expect(
      scopeSatisfies(['system/Observation.rs?category=laboratory'], 'system/Observation.r'),
    ).toBe(false);
    expect(
      scopeSatisfies(
        ['system/Observation.rs?category=laboratory'],
        'system/Observation.rs?category=laboratory',
      ),
    ).toBe(true);
  });

  it('Trellis scopes match exactly and are not implied by resource scopes', () => {
    expect(scopeSatisfies(['trellis/admin'], 'trellis/admin')).toBe(true);
    expect(scopeSatisfies(['system/*.cruds'], 'trellis/admin')).toBe(false);
    expect(scopeSatisfies(['trellis/restricted.read'], 'trellis/admin')).toBe(false);
    expect(scopeSatisfies(['trellis/identity.admin'], 'trellis/identity.admin')).toBe(true);
    expect(
      scopeSatisfies(['system/Patient.cruds', 'system/*.cruds'], 'trellis/identity.admin'),
    ).toBe(false);
    expect(scopeSatisfies(['trellis/admin'], 'trellis/identity.admin')).toBe(false);
    expect(scopeSatisfies(['trellis/admin'], 'trellis/region.admin')).toBe(false);
    expect(scopeSatisfies(['trellis/region.admin'], 'trellis/admin')).toBe(false);
  });

  it('a malformed requirement is never satisfied', () => {
    expect(scopeSatisfies(['system/*.cruds'], 'system/Patient.sr')).toBe(false);
  });

  it('requested scopes must lie within the allowed ones', () => {
    const allowed = ['system/Patient.rs', 'system/Appointment.cruds'];
    expect(scopesWithin(['system/Patient.r', 'system/Appointment.c'], allowed)).toBe(true);
    expect(scopesWithin(['system/Patient.c'], allowed)).toBe(false);
    expect(scopesWithin(['trellis/admin'], allowed)).toBe(false);
    expect(scopesWithin(['garbage'], ['garbage'])).toBe(false);
  });

  it('splits and deduplicates', () => {
    expect(splitScopes('  a b  a ')).toEqual(['a', 'b']);
    expect(splitScopes(undefined)).toEqual([]);
    expect(parseScope('system/Patient.rs')).toMatchObject({
      kind: 'resource',
      resourceType: 'Patient',
    });
  });
});
