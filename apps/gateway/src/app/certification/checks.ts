import { type CertifiableRole, type Exchange, type FaultKind } from './exchange';

/** Where the rule an assertion checks is defined. */
export interface RuleRef {
  /** Trellis rule id (TRELLIS_RULES / the gateway's OperationOutcome rules) or FHIR requirement. */
  id: string;
  /** FHIR R4 specification anchor or RFC section, when the rule comes from there. */
  source?: string;
}

export interface AssertionOutcome {
  pass: boolean;
  message: string;
  /** The exchange that decided the outcome (its request line is the evidence). */
  evidence?: Exchange;
}

export interface ScenarioAssertion {
  /** Stable label, e.g. `update-if-match` (unique within a scenario). */
  id: string;
  rule: RuleRef;
  description: string;
  /** TestScript assert fields that describe the check (one at most: FHIR invariant tst-10). */
  script?: {
    direction?: 'request' | 'response';
    headerField?: string;
    operator?: 'equals' | 'notEmpty' | 'greaterThan' | 'in';
    value?: string;
    requestMethod?: 'get' | 'post' | 'put';
    responseCode?: string;
  };
  check(xs: readonly Exchange[]): AssertionOutcome;
}

export interface FaultPlan {
  kind: FaultKind;
  method: string;
  /** Path (without query) of the requests the fault may hit. */
  path: RegExp;
  /** Which matching request of the scenario gets the fault (1 = the first). */
  occurrence: number;
}

export interface ScenarioStep {
  label: string;
  description: string;
  method: 'get' | 'post' | 'put';
  /** FHIR operation type (testscript-operation-codes). */
  type: string;
  resource: string;
  /** URL template (variables in braces). */
  url: string;
  headers?: Record<string, string>;
}

export interface Scenario {
  /** Scenario key, shared by the roles it applies to (TestScript id = `<role>-<key>`). */
  key: string;
  roles: readonly CertifiableRole[];
  title: string;
  description: string;
  steps: readonly ScenarioStep[];
  faults: readonly FaultPlan[];
  assertions: readonly ScenarioAssertion[];
}

export const ok = (x: Exchange) => x.fault === null && x.status >= 200 && x.status < 300;
export const is = (x: Exchange, method: string, path: RegExp) =>
  x.method === method && path.test(x.path);
export const pass = (message: string, evidence?: Exchange): AssertionOutcome => ({
  pass: true,
  message,
  ...(evidence ? { evidence } : {}),
});
export const fail = (message: string, evidence?: Exchange): AssertionOutcome => ({
  pass: false,
  message,
  ...(evidence ? { evidence } : {}),
});

/** Every matching request carries the field; none = fail (the step was not done). */
export function every(
  xs: readonly Exchange[],
  method: string,
  path: RegExp,
  has: (x: Exchange) => boolean,
  what: string,
): AssertionOutcome {
  const matching = xs.filter((x) => is(x, method, path));
  if (matching.length === 0) return fail(`no ${method} request matching the step was seen`);
  const missing = matching.find((x) => !has(x));
  if (missing) return fail(`${what} missing`, missing);
  return pass(`all ${String(matching.length)} carried ${what}`, matching[matching.length - 1]);
}

/** The first request after the injected `fault`, and the fault itself. */
export function afterFault(
  xs: readonly Exchange[],
  kind: FaultKind,
): { fault?: Exchange; later: Exchange[] } {
  const i = xs.findIndex((x) => x.fault === kind);
  if (i < 0) return { later: [] };
  return { fault: xs[i], later: xs.slice(i + 1) };
}

/** Retry-After honoured: the next request came no earlier than the answer + Retry-After. */
export function honoursRetryAfter(kind: 'rate-limit' | 'unavailable'): ScenarioAssertion['check'] {
  return (xs) => {
    const { fault, later } = afterFault(xs, kind);
    if (!fault) return fail(`the injected ${kind} answer was never triggered`);
    const next = later[0];
    if (!next) return fail('no request followed the refusal', fault);
    const waitedMs = next.at - fault.doneAt;
    const neededMs = (fault.retryAfter ?? 0) * 1000;
    return waitedMs + 50 >= neededMs
      ? pass(
          `next request after ${String(waitedMs)} ms (Retry-After ${String(fault.retryAfter)} s)`,
          next,
        )
      : fail(
          `next request ${String(waitedMs)} ms after a Retry-After of ${String(fault.retryAfter)} s`,
          next,
        );
  };
}

/** A retry of the faulted request (same method and path) eventually succeeded. */
export function retriedToSuccess(kind: FaultKind): ScenarioAssertion['check'] {
  return (xs) => {
    const { fault, later } = afterFault(xs, kind);
    if (!fault) return fail(`the injected ${kind} answer was never triggered`);
    const done = later.find((x) => x.method === fault.method && x.path === fault.path && ok(x));
    return done ? pass('retried to success', done) : fail('never retried to success', fault);
  };
}

export function sameKeyRetry(kind: FaultKind, path: RegExp): ScenarioAssertion['check'] {
  return (xs) => {
    const { fault, later } = afterFault(xs, kind);
    if (!fault) return fail('the lost answer was never triggered');
    const retry = later.find((x) => is(x, fault.method, path));
    if (!retry) return fail('never retried after the lost answer', fault);
    return retry.key !== null && retry.key === fault.key
      ? pass('retried with the same key', retry)
      : fail(`retried with key ${String(retry.key)} instead of ${String(fault.key)}`, retry);
  };
}

export function oneResource(path: RegExp): ScenarioAssertion['check'] {
  return (xs) => {
    const accepted = xs.filter((x) => is(x, 'POST', path) && ok(x));
    const ids = new Set(accepted.map((x) => x.resourceId));
    if (accepted.length === 0) return fail('nothing was accepted');
    return ids.size === 1 && !ids.has(null)
      ? pass(`one resource (${String([...ids][0])})`, accepted[accepted.length - 1])
      : fail(`${String(ids.size)} different resources created`, accepted[accepted.length - 1]);
  };
}
