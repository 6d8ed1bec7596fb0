import { type SessionExchange } from '../../generated/prisma/client';
import { answeredExchanges, evaluateScenarios, progressJson } from './session-progress';

const SESSION = '00000000-0000-4000-8000-000000000001';
let seq = 0;
function row(partial: Partial<SessionExchange> & Pick<SessionExchange, 'method' | 'path'>) {
  seq += 1;
  return {
    sessionId: SESSION,
    seq,
    scenario: 'gp-system-register-patient',
    query: '',
    status: 201,
    fault: null,
    ifMatch: null,
    ifNoneExist: 'family=Test&given=Ann&birthdate=1970-01-01',
    key: null,
    resourceId: null,
    retryAfter: null,
    at: new Date(seq * 1000),
    doneAt: new Date(seq * 1000 + 5),
    ...partial,
  } as SessionExchange;
}

const live = (rows: SessionExchange[]) =>
  evaluateScenarios('gp-system', answeredExchanges(rows)).map(progressJson);

describe('a session’s live progress (judged on read, as Finish judges)', () => {
  it('every scenario waits until its first answered request', () => {
    const states = live([]).map((s) => [s.id, s.state, s.requests]);
    expect(states.length).toBeGreaterThanOrEqual(2);
    for (const [, state, requests] of states) expect([state, requests]).toEqual(['waiting', 0]);
  });

  it('a request still in flight is not judged; a scenario whose assertions all hold is passing', () => {
    const created = row({ method: 'POST', path: '/fhir/Patient', resourceId: '9990000018' });
    const inFlight = row({ method: 'POST', path: '/fhir/Patient', status: -1 });
    const register = live([created, inFlight]).find((s) => s.id === 'gp-system-register-patient')!;
    expect(register.requests).toBe(1);
    // the duplicate refusal and the trace have not happened yet
    expect(register.state).toBe('failing');
    const refused = row({
      method: 'POST',
      path: '/fhir/Patient',
      status: 412,
      fault: 'duplicate',
    });
    const traced = row({
      method: 'GET',
      path: '/fhir/Patient/9990000018',
      status: 200,
      ifNoneExist: null,
    });
    const done = live([created, refused, traced]).find(
      (s) => s.id === 'gp-system-register-patient',
    )!;
    expect(done.assertions.map((a) => [a.id, a.pass])).toEqual(
      done.assertions.map((a) => [a.id, true]),
    );
    expect(done.state).toBe('passing');
    expect(done.assertions.some((a) => a.evidence?.startsWith('#'))).toBe(true);
  });

  it('a broken assertion shows at once, with its rule and message', () => {
    const blind = row({ method: 'POST', path: '/fhir/Patient', ifNoneExist: null });
    const register = live([blind]).find((s) => s.id === 'gp-system-register-patient')!;
    const conditional = register.assertions.find((a) => a.id === 'create-if-none-exist')!;
    expect(conditional).toMatchObject({ pass: false, rule: 'fhir.conditional-create' });
    expect(conditional.message).not.toBe('');
    expect(register.state).toBe('failing');
  });
});
