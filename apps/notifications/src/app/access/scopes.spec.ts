import { assertScopeTableCovers, listGrpcMethods } from '@trellis/auth/testing';
import { join } from 'node:path';

import { NOTIFICATIONS_SCOPES } from './scopes';

describe('notifications scope table', () => {
  it('declares a scope for every gRPC method', () => {
    const root = join(__dirname, '../../../../../proto');
    const methods = listGrpcMethods(join(root, 'trellis/notifications/v1/notifications.proto'), {
      includeDirs: [root],
      packagePrefix: 'trellis.notifications.v1.',
    });
    expect(methods.length).toBe(5);
    assertScopeTableCovers(NOTIFICATIONS_SCOPES, methods);
  });
});
