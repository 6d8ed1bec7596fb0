import { assertScopeTableCovers, listGrpcMethods } from '@trellis/auth';
import { PROTO_ROOT, protoPath } from '@trellis/contracts';

import { GATEWAY_SCOPES } from './gateway.scopes';

describe('gateway scope table', () => {
  it('declares every ConnectedSystemService method (undeclared would be denied)', () => {
    const methods = listGrpcMethods(protoPath('trellis/gateway/v1/gateway.proto'), {
      includeDirs: [PROTO_ROOT],
      packagePrefix: 'trellis.gateway.v1.',
    });
    expect(methods).toHaveLength(7);
    assertScopeTableCovers(GATEWAY_SCOPES, methods);
  });

  it('keeps the admin API behind trellis/admin and only discovery + token endpoints public', () => {
    for (const [key, rule] of Object.entries(GATEWAY_SCOPES)) {
      if (key.startsWith('/trellis.gateway.v1.'))
        expect([key, rule.scope]).toEqual([key, 'trellis/admin']);
      else expect([key, rule.public]).toEqual([key, true]);
    }
  });
});
