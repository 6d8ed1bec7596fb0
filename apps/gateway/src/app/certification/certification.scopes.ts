import { TRELLIS_SCOPES, type ScopeRule } from '@trellis/auth';

const SVC = '/trellis.gateway.v1.CertificationService';

/**
 * The conformance kit over gRPC. Its FHIR routes declare their scopes on the route (FhirRoute,
 * certification.fhir.controller.ts): the scenarios and the certificate register are public,
 * sessions and their TestReports belong to the system that ran them (the operator reads any).
 */
export const CERTIFICATION_SCOPE_RULES: Readonly<Record<string, ScopeRule>> = {
  [`${SVC}/StartSession`]: { scope: 'system/TestReport.c' },
  [`${SVC}/FinishSession`]: { scope: 'system/TestReport.c' },
  [`${SVC}/SetSystemEnvironment`]: { scope: TRELLIS_SCOPES.admin },
  [`${SVC}/RevokeCertificate`]: { scope: TRELLIS_SCOPES.admin },
};
