import { validateFhirResource } from '@trellis/fhir';

import { CERTIFIABLE_ROLES, type Exchange } from './exchange';
import { allScenarios, scenarioById, scenariosOf } from './scenarios';
import { RULE_EXTENSION, scenarioToTestScript, testReportOf } from './test-script';

const BASE = 'https://gateway.example';

let seq = 0;
function x(partial: Partial<Exchange> & Pick<Exchange, 'method' | 'path'>): Exchange {
  seq += 1;
  const at = partial.at ?? seq * 10;
  return {
    seq,
    scenario: null,
    query: '',
    status: 200,
    fault: null,
    ifMatch: null,
    ifNoneExist: null,
    key: null,
    resourceId: null,
    retryAfter: null,
    doneAt: at + 5,
    ...partial,
    at,
  };
}

function evaluate(id: string, xs: Exchange[]) {
  const s = scenarioById(id);
  if (!s) throw new Error(id);
  return Object.fromEntries(s.assertions.map((a) => [a.id, a.check(xs).pass]));
}

describe('conformance scenarios', () => {
  it('every role has scenarios, every assertion names a rule', () => {
    for (const role of CERTIFIABLE_ROLES) {
      const list = scenariosOf(role);
      expect(list.length).toBeGreaterThanOrEqual(2);
      for (const s of list) {
        expect(s.faults.length).toBeGreaterThan(0);
        for (const a of s.assertions) expect(a.rule.id).toMatch(/^[a-z][a-z.-]+$/);
      }
    }
  });

  it.each(allScenarios().map((s) => [s.id]))('TestScript %s is valid FHIR R4', (id) => {
    const script = scenarioToTestScript(scenarioById(id)!, BASE);
    expect(validateFhirResource(script).issues).toEqual([]);
    const asserts = script.test![0]!.action!.flatMap((a) => (a.assert ? [a.assert] : []));
    expect(asserts.length).toBeGreaterThan(0);
    for (const a of asserts) expect(a.extension?.[0]?.url).toBe(RULE_EXTENSION);
  });

  it('update-if-match: a client that re-reads after the 412 passes; one without If-Match fails only that', () => {
    const p = '/fhir/Patient/9990000018';
    const good = [
      x({ method: 'GET', path: p }),
      x({ method: 'PUT', path: p, ifMatch: 'W/"1"', status: 412, fault: 'precondition' }),
      x({ method: 'GET', path: p }),
      x({ method: 'PUT', path: p, ifMatch: 'W/"2"' }),
    ];
    expect(evaluate('gp-system-update-if-match', good)).toEqual({
      'update-if-match': true,
      'recover-412': true,
    });
    const bad = [
      x({ method: 'PUT', path: p, status: 412, fault: 'precondition' }),
      x({ method: 'GET', path: p }),
      x({ method: 'PUT', path: p, status: 428 }),
    ];
    expect(evaluate('gp-system-update-if-match', bad)).toEqual({
      'update-if-match': false,
      'recover-412': true,
    });
  });

  it('read-everything: Retry-After is measured from the 429 answer to the next request', () => {
    const p = '/fhir/Patient/9990000018/$everything';
    const refused = { method: 'GET', path: p, status: 429, fault: 'rate-limit' as const };
    const patient = [
      x({ ...refused, at: 1000, doneAt: 1010, retryAfter: 1 }),
      x({ method: 'GET', path: p, at: 2020 }),
    ];
    expect(evaluate('gp-system-read-everything', patient)).toEqual({
      'honour-retry-after': true,
      'everything-read': true,
    });
    const eager = [
      x({ ...refused, at: 3000, doneAt: 3010, retryAfter: 1 }),
      x({ method: 'GET', path: p, at: 3020 }),
    ];
    expect(evaluate('gp-system-read-everything', eager)).toEqual({
      'honour-retry-after': false,
      'everything-read': true,
    });
  });

  it('register-patient: tracing after the duplicate refusal, not registering again', () => {
    const reg = { method: 'POST', path: '/fhir/Patient', ifNoneExist: 'family=A' };
    const traced = [
      x({ ...reg, status: 201, resourceId: '9990000018' }),
      x({ ...reg, status: 412, fault: 'duplicate' }),
      x({ method: 'GET', path: '/fhir/Patient/9990000018' }),
    ];
    expect(Object.values(evaluate('gp-system-register-patient', traced))).toEqual([
      true,
      true,
      true,
    ]);
    const blind = [...traced.slice(0, 2), x({ ...reg, status: 201 })];
    expect(evaluate('gp-system-register-patient', blind)['duplicate-traced']).toBe(false);
  });

  it('book-appointment: same key after the lost answer, one appointment', () => {
    const book = { method: 'POST', path: '/fhir/Appointment/$book' };
    const safe = [
      x({ ...book, key: 'k-1', status: 0, fault: 'drop' }),
      x({ ...book, key: 'k-1', resourceId: 'a1' }),
    ];
    expect(Object.values(evaluate('hospital-epr-book-appointment', safe))).toEqual([
      true,
      true,
      true,
    ]);
    const unsafe = [
      x({ ...book, key: 'k-1', status: 0, fault: 'drop', resourceId: null }),
      x({ ...book, key: 'k-2', resourceId: 'a2' }),
    ];
    expect(evaluate('hospital-epr-book-appointment', unsafe)['book-retry-same-key']).toBe(false);
  });

  it('a TestReport carries pass/fail per assertion with the request line and rule, and is valid FHIR', () => {
    const s = scenarioById('gp-system-update-if-match')!;
    const xs = [x({ method: 'PUT', path: '/fhir/Patient/9990000018', status: 428 })];
    const report = testReportOf({
      id: 'r-1',
      scenario: s,
      results: s.assertions.map((assertion) => ({ assertion, outcome: assertion.check(xs) })),
      sessionId: 's-1',
      systemId: 'sys-1',
      base: BASE,
      issued: new Date('2026-12-06T21:00:00Z'),
    });
    expect(validateFhirResource(report).issues).toEqual([]);
    expect(report.result).toBe('fail');
    const first = report.test![0]!.action![0]!.assert!;
    expect(first.result).toBe('fail');
    expect(first.message).toContain('update-if-match [rule http.if-match-required');
    expect(first.detail).toContain('PUT /fhir/Patient/9990000018 → 428');
  });
});
