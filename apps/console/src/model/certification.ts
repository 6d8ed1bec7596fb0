// The conformance kit at the gateway's FHIR facade (docs/conformance.md, "Sessions" and
// "Certificates"): $start-session's Parameters, TestReports, the public register's
// VerificationResults, read here into what the Certificates page shows.
import { extensionOf, type Extension } from './fhir';

const CERTIFICATE = 'https://fhir.trellis.nhs.uk/StructureDefinition/conformance-certificate';

export interface Parameters {
  resourceType: 'Parameters';
  parameter?: Array<{
    name: string;
    valueId?: string;
    valueCode?: string;
    valueString?: string;
    valueReference?: { reference?: string };
  }>;
}

export interface OpenSession {
  id: string;
  role: string;
  productVersion: string;
  rulesVersion: string;
  /** TestScript ids. */
  scenarios: string[];
}

export function sessionOf(p: Parameters): OpenSession {
  const one = (name: string) => p.parameter?.find((x) => x.name === name);
  return {
    id: one('session')?.valueId ?? '',
    role: one('role')?.valueCode ?? '',
    productVersion: one('product-version')?.valueString ?? '',
    rulesVersion: one('rules-version')?.valueString ?? '',
    scenarios: (p.parameter ?? [])
      .filter((x) => x.name === 'scenario')
      .map((x) => (x.valueReference?.reference ?? '').replace(/^TestScript\//, '')),
  };
}

export interface TestReport {
  resourceType: 'TestReport';
  id?: string;
  result: 'pass' | 'fail' | 'pending';
  score?: number;
  testScript: { reference?: string; display?: string };
  test?: Array<{
    action?: Array<{ assert?: { result?: string; message?: string; detail?: string } }>;
  }>;
}

export interface ScenarioOutcome {
  scenario: string;
  title: string;
  result: 'pass' | 'fail' | 'pending';
  asserts: Array<{ result: string; message: string; detail: string }>;
}

export function outcomeOf(r: TestReport): ScenarioOutcome {
  return {
    scenario: (r.testScript.reference ?? '').replace(/^TestScript\//, ''),
    title: r.testScript.display ?? '',
    result: r.result,
    asserts: (r.test ?? []).flatMap((t) =>
      (t.action ?? []).flatMap((a) =>
        a.assert
          ? [
              {
                result: a.assert.result ?? '',
                message: a.assert.message ?? '',
                detail: a.assert.detail ?? '',
              },
            ]
          : [],
      ),
    ),
  };
}

export interface VerificationResult {
  resourceType: 'VerificationResult';
  id?: string;
  extension?: Array<Extension & { extension?: Extension[] }>;
  target?: Array<{ reference?: string; display?: string }>;
  validator?: Array<{ attestationSignature?: { sigFormat?: string; data?: string } }>;
}

export interface Certificate {
  id: string;
  status: string;
  statusReason: string;
  productVersion: string;
  title: string;
  role: string;
  rulesVersion: string;
  issued: string;
  expires: string;
  /** The signed certificate (a JWT), as the register publishes it. */
  jwt: string;
}

export function certificateOf(v: VerificationResult): Certificate {
  const facts = extensionOf(v, CERTIFICATE) as
    (Extension & { extension?: Extension[] }) | undefined;
  const fact = (url: string) => extensionOf(facts, url);
  const data = v.validator?.[0]?.attestationSignature?.data ?? '';
  return {
    id: v.id ?? '',
    status: fact('status')?.valueCode ?? '',
    statusReason: fact('statusReason')?.valueString ?? '',
    productVersion: (v.target?.[0]?.reference ?? '').replace(/^Group\//, ''),
    title: v.target?.[0]?.display ?? '',
    role: fact('role')?.valueCode ?? '',
    rulesVersion: fact('rulesVersion')?.valueString ?? '',
    issued: fact('issued')?.valueDateTime ?? '',
    expires: fact('expires')?.valueDateTime ?? '',
    jwt: data ? atob(data) : '',
  };
}
