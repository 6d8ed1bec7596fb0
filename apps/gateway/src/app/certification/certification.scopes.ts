import { TRELLIS_SCOPES, type ScopeRule } from '@trellis/auth';

const SVC = '/trellis.gateway.v1.CertificationService';

/**
 * The conformance kit: the scenarios and the certificate register are public (what a supplier
 * must do, and who holds which certificate); sessions and their TestReports belong to the system
 * that ran them (the operator, holding trellis/admin too, reads any).
 */
export const CERTIFICATION_SCOPE_RULES: Readonly<Record<string, ScopeRule>> = {
  'GET /fhir/TestScript': { public: true },
  'GET /fhir/TestScript/:id': { public: true },
  'POST /fhir/TestScript/$start-session': { scope: 'system/TestReport.c' },
  'POST /fhir/TestScript/$finish-session': { scope: 'system/TestReport.c' },
  'GET /fhir/TestReport': { scope: 'system/TestReport.rs' },
  'GET /fhir/TestReport/:id': { scope: 'system/TestReport.rs' },
  'GET /fhir/VerificationResult': { public: true },
  'GET /fhir/VerificationResult/:id': { public: true },
  [`${SVC}/StartSession`]: { scope: 'system/TestReport.c' },
  [`${SVC}/FinishSession`]: { scope: 'system/TestReport.c' },
  [`${SVC}/SetSystemEnvironment`]: { scope: TRELLIS_SCOPES.admin },
  [`${SVC}/RevokeCertificate`]: { scope: TRELLIS_SCOPES.admin },
};
