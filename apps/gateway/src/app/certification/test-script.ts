import type { TestReport, TestScript } from '@medplum/fhirtypes';

import { type AssertionOutcome, type ScenarioAssertion } from './checks';
import { type CertifiableRole, requestLine, RULES_VERSION, SCENARIO_HEADER } from './exchange';
import { type Scenario } from './scenarios';

/** Extension naming the Trellis rule (or FHIR requirement) an assertion checks. */
export const RULE_EXTENSION = 'https://fhir.trellis.nhs.uk/StructureDefinition/conformance-rule';
/** Extension on a TestScript naming the fault the sandbox injects. */
export const FAULT_EXTENSION = 'https://fhir.trellis.nhs.uk/StructureDefinition/sandbox-fault';
const OPERATION_CODES = 'http://terminology.hl7.org/CodeSystem/testscript-operation-codes';

type RoleScenario = Scenario & { id: string; role: CertifiableRole };

function ruleText(a: ScenarioAssertion): string {
  return `${a.rule.id}${a.rule.source ? ` (${a.rule.source})` : ''}`;
}

/** A scenario as a FHIR R4 TestScript (one test; each assert names its rule). */
export function scenarioToTestScript(s: RoleScenario, base: string): TestScript {
  return {
    resourceType: 'TestScript',
    id: s.id,
    url: `${base}/fhir/TestScript/${s.id}`,
    version: RULES_VERSION,
    name: s.id.replace(/[^A-Za-z0-9]/g, '_'),
    title: s.title,
    status: 'active',
    experimental: false,
    publisher: 'Trellis national operator',
    description: `${s.description}\n\nRole: ${s.role}. Send \`${SCENARIO_HEADER}: ${s.id}\` on every request of this scenario while your conformance session is open. Sandbox data only (NHS numbers 999xxxxxxx).`,
    useContext: [
      {
        code: { system: 'http://terminology.hl7.org/CodeSystem/usage-context-type', code: 'user' },
        valueCodeableConcept: { text: s.role },
      },
    ],
    extension: s.faults.map((f) => ({
      url: FAULT_EXTENSION,
      valueString: `${f.kind} on ${f.method} request #${String(f.occurrence)} matching ${f.path.source}`,
    })),
    test: [
      {
        name: s.key,
        description: s.title,
        action: [
          ...s.steps.map((step) => ({
            operation: {
              type: { system: OPERATION_CODES, code: step.type },
              resource: step.resource,
              label: step.label,
              description: step.description,
              accept: 'json' as const,
              contentType: 'json' as const,
              method: step.method,
              url: step.url,
              encodeRequestUrl: true,
              requestHeader: [
                { field: SCENARIO_HEADER, value: s.id },
                ...Object.entries(step.headers ?? {}).map(([field, value]) => ({ field, value })),
              ],
            },
          })),
          ...s.assertions.map((a) => ({
            assert: {
              extension: [{ url: RULE_EXTENSION, valueString: ruleText(a) }],
              label: a.id,
              description: `${a.description} [rule ${ruleText(a)}]`,
              ...(a.script ?? {}),
              warningOnly: false,
            },
          })),
        ],
      },
    ],
  };
}

export interface ScenarioResult {
  assertion: ScenarioAssertion;
  outcome: AssertionOutcome;
}

/** One TestReport per scenario: pass/fail per assertion with its evidence. */
export function testReportOf(input: {
  id: string;
  scenario: RoleScenario;
  results: readonly ScenarioResult[];
  sessionId: string;
  systemId: string;
  base: string;
  issued: Date;
}): TestReport {
  const { scenario: s, results } = input;
  const passed = results.filter((r) => r.outcome.pass).length;
  return {
    resourceType: 'TestReport',
    id: input.id,
    identifier: {
      system: 'https://fhir.trellis.nhs.uk/Id/conformance-session',
      value: input.sessionId,
    },
    name: `${s.id} (session ${input.sessionId})`,
    status: 'completed',
    testScript: { reference: `TestScript/${s.id}`, display: s.title },
    result: passed === results.length ? 'pass' : 'fail',
    score: results.length ? Math.round((passed / results.length) * 10000) / 100 : 0,
    tester: 'Trellis conformance sandbox',
    issued: input.issued.toISOString(),
    participant: [
      { type: 'test-engine', uri: `${input.base}/fhir/TestScript/${s.id}`, display: RULES_VERSION },
      { type: 'client', uri: `urn:trellis:system:${input.systemId}`, display: input.systemId },
    ],
    test: [
      {
        name: s.key,
        description: s.title,
        action: results.map((r) => ({
          assert: {
            result: r.outcome.pass ? 'pass' : 'fail',
            message: `${r.assertion.id} [rule ${ruleText(r.assertion)}]: ${r.outcome.message}`,
            detail: r.outcome.evidence
              ? `${requestLine(r.outcome.evidence)} (rule ${r.assertion.rule.id})`
              : `no request (rule ${r.assertion.rule.id})`,
          },
        })),
      },
    ],
  };
}
