import { assertScopeTableCovers, listGrpcMethods } from '@trellis/auth/testing';
import { PROTO_ROOT, protoPath } from '@trellis/contracts';

import { GATEWAY_SCOPES } from './gateway.scopes';
import { TOKEN_SCOPE_RULES } from './tokens/tokens.scopes';

describe('gateway scope table', () => {
  it('declares every ConnectedSystemService, ProductService and RegionalAuthorityService method (undeclared would be denied)', () => {
    const methods = listGrpcMethods(protoPath('trellis/gateway/v1/gateway.proto'), {
      includeDirs: [PROTO_ROOT],
      packagePrefix: 'trellis.gateway.v1.',
    });
    expect(methods).toHaveLength(24);
    assertScopeTableCovers(GATEWAY_SCOPES, methods);
  });

  it('keeps the admin API behind trellis/admin and only discovery, token, delivery token (service token checked), FHIR capability, the conformance kit TestScripts and certificate register, and the not-served fallback public', () => {
    const publicAllowed =
      /^(POST \/oauth2\/token|POST \/internal\/notifications\/delivery-token|GET \/\.well-known\/(jwks\.json|smart-configuration)|GET \/fhir\/(metadata|openapi\.json|OperationDefinition\/:id|TestScript(\/:id)?|VerificationResult(\/:id)?)|(GET|POST|PUT|DELETE|PATCH) \/fhir\/\{\*path\})$/;
    for (const [key, rule] of Object.entries(GATEWAY_SCOPES)) {
      if (key.startsWith('/trellis.gateway.v1.RegionalAuthorityService/'))
        expect([key, rule.scope]).toEqual([
          key,
          expect.stringMatching(/^region\/\*\/(systems\.(read|write)|scorecards\.read)$/),
        ]);
      // a supplier's own conformance session (issue 17); the operator's decisions stay admin
      else if (/^\/trellis\.gateway\.v1\.CertificationService\/\w+Session$/.test(key))
        expect([key, rule.scope]).toEqual([key, 'system/TestReport.c']);
      else if (key.startsWith('/trellis.gateway.v1.'))
        expect([key, rule.scope]).toEqual([key, 'trellis/admin']);
      if (rule.public === true) expect([key, publicAllowed.test(key)]).toEqual([key, true]);
      if (rule.public !== true && key.startsWith('GET /fhir/Patient'))
        expect([key, rule.patientData]).toEqual([key, true]);
    }
    for (const key of Object.keys(TOKEN_SCOPE_RULES))
      expect(GATEWAY_SCOPES[key]?.public).toBe(true);
  });
});
