import { assertScopeTableCovers, listGrpcMethods } from '@trellis/auth/testing';
import { PROTO_ROOT, protoPath } from '@trellis/contracts';

import { GATEWAY_SCOPES } from '../gateway.scopes';

describe('certification scope rules', () => {
  it('declare every CertificationService method: sessions for the system, decisions for the operator', () => {
    const methods = listGrpcMethods(protoPath('trellis/gateway/v1/certification.proto'), {
      includeDirs: [PROTO_ROOT],
      packagePrefix: 'trellis.gateway.v1.',
    });
    expect(methods).toHaveLength(4);
    assertScopeTableCovers(GATEWAY_SCOPES, methods);
    const svc = '/trellis.gateway.v1.CertificationService';
    expect(GATEWAY_SCOPES[`${svc}/SetSystemEnvironment`]).toEqual({ scope: 'trellis/admin' });
    expect(GATEWAY_SCOPES[`${svc}/RevokeCertificate`]).toEqual({ scope: 'trellis/admin' });
    expect(GATEWAY_SCOPES[`${svc}/StartSession`]).toEqual({ scope: 'system/TestReport.c' });
  });
});
