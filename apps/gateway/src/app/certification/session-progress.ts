import type { ScenarioProgressJson } from '@trellis/contracts';

import { type SessionExchange } from '../../generated/prisma/client';
import { type AssertionOutcome } from './checks';
import { type CertifiableRole, type Exchange, type FaultKind, requestLine } from './exchange';
import { scenariosOf, type Scenario, type ScenarioAssertion } from './scenarios';

/** The session's recorded requests that were answered (status -1: still in flight), in order. */
export function answeredExchanges(rows: readonly SessionExchange[]): Exchange[] {
  return rows
    .filter((r) => r.status !== -1)
    .map((r) => ({
      seq: r.seq,
      scenario: r.scenario,
      method: r.method,
      path: r.path,
      query: r.query,
      status: r.status,
      fault: r.fault as FaultKind | null,
      ifMatch: r.ifMatch,
      ifNoneExist: r.ifNoneExist,
      key: r.key,
      resourceId: r.resourceId,
      retryAfter: r.retryAfter,
      at: r.at.getTime(),
      doneAt: r.doneAt.getTime(),
    }));
}

export interface ScenarioEvaluation {
  scenario: Scenario & { id: string };
  exchanges: Exchange[];
  results: Array<{ assertion: ScenarioAssertion; outcome: AssertionOutcome }>;
}

/** Each of the role's scenarios judged on its requests so far (Finish judges the same way). */
export function evaluateScenarios(
  role: CertifiableRole,
  all: readonly Exchange[],
): ScenarioEvaluation[] {
  return scenariosOf(role).map((scenario) => {
    const exchanges = all.filter((x) => x.scenario === scenario.id);
    return {
      scenario,
      exchanges,
      results: scenario.assertions.map((assertion) => ({
        assertion,
        outcome: assertion.check(exchanges),
      })),
    };
  });
}

export function progressJson(r: ScenarioEvaluation): ScenarioProgressJson {
  const passing = r.results.every((x) => x.outcome.pass);
  return {
    id: r.scenario.id,
    title: r.scenario.title,
    state: r.exchanges.length === 0 ? 'waiting' : passing ? 'passing' : 'failing',
    requests: r.exchanges.length,
    assertions: r.results.map(({ assertion, outcome }) => ({
      id: assertion.id,
      rule: assertion.rule.id,
      description: assertion.description,
      pass: outcome.pass,
      message: outcome.message,
      evidence: outcome.evidence ? requestLine(outcome.evidence) : null,
    })),
  };
}
