import type { Patient } from '@medplum/fhirtypes';
import { FhirError } from '@trellis/fhir';

import { applyPatientPatch } from './patient.patch';

const current: Patient = {
  resourceType: 'Patient',
  id: '9990000018',
  meta: { versionId: '3', lastUpdated: '2026-01-01T00:00:00Z' },
  name: [{ use: 'official', family: 'Smith', given: ['Ada'] }],
  gender: 'female',
  birthDate: '1984-03-12',
};

function refusal(patch: unknown): { status: number; rule: string; text: string } {
  try {
    applyPatientPatch(current, patch);
  } catch (err) {
    if (!(err instanceof FhirError)) throw err;
    const issue = err.outcome.issue![0]!;
    return {
      status: err.status,
      rule: String(issue.details?.coding?.[0]?.code ?? issue.details?.text ?? ''),
      text: JSON.stringify(err.outcome),
    };
  }
  throw new Error('the patch was applied');
}

describe('applyPatientPatch (RFC 6902 on the current Patient)', () => {
  it('applies test/replace/add/remove in order and leaves the current resource unchanged', () => {
    const before = structuredClone(current);
    const out = applyPatientPatch(current, [
      { op: 'test', path: '/meta/versionId', value: '3' },
      { op: 'replace', path: '/name/0/family', value: 'Jones' },
      { op: 'add', path: '/telecom', value: [{ system: 'phone', value: '0113 496 0001' }] },
      { op: 'remove', path: '/gender' },
    ]);
    expect(out.name![0]!.family).toBe('Jones');
    expect(out.telecom).toEqual([{ system: 'phone', value: '0113 496 0001' }]);
    expect(out.gender).toBeUndefined();
    expect(out.id).toBe(current.id);
    expect(current).toEqual(before);
  });

  it.each([
    ['not an array', { op: 'replace', path: '/gender', value: 'male' }],
    ['an empty array', []],
    ['an unknown op', [{ op: 'frobnicate', path: '/gender' }]],
    ['a replace without value', [{ op: 'replace', path: '/gender' }]],
    ['a path that is not a pointer', [{ op: 'replace', path: 'gender', value: 'male' }]],
  ])('refuses a malformed patch document (%s) with 400', (_name, patch) => {
    const r = refusal(patch);
    expect(r.status).toBe(400);
    expect(r.text).toContain('patch.format');
  });

  it.each([
    ['/id', { op: 'replace', path: '/id', value: '9990000026' }],
    ['/resourceType', { op: 'replace', path: '/resourceType', value: 'Practitioner' }],
    ['/meta/versionId', { op: 'replace', path: '/meta/versionId', value: '9' }],
    ['/meta', { op: 'remove', path: '/meta' }],
    ['the whole resource', { op: 'replace', path: '', value: {} }],
    ['a move out of meta', { op: 'move', from: '/meta', path: '/extension' }],
  ])('refuses a write to %s with 422 naming the operation', (_name, op) => {
    const r = refusal([{ op: 'test', path: '/gender', value: 'female' }, op]);
    expect(r.status).toBe(422);
    expect(r.text).toContain('patch.protected-path');
    expect(r.text).toContain('Patch[1]');
  });

  it('refuses a failed test with 422 and applies nothing', () => {
    const r = refusal([
      { op: 'replace', path: '/name/0/family', value: 'Jones' },
      { op: 'test', path: '/gender', value: 'male' },
    ]);
    expect(r.status).toBe(422);
    expect(r.text).toContain('patch.test-failed');
    expect(r.text).toContain('/gender');
    expect(current.name![0]!.family).toBe('Smith');
  });

  it('refuses an unresolvable path with 422', () => {
    const r = refusal([{ op: 'replace', path: '/address/0/city', value: 'Leeds' }]);
    expect(r.status).toBe(422);
    expect(r.text).toContain('patch.unresolvable');
  });

  it('refuses a prototype write', () => {
    const r = refusal([{ op: 'add', path: '/__proto__/polluted', value: true }]);
    expect(r.status).toBe(422);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
