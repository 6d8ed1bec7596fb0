import { assertScopeTableCoversProto } from '@trellis/auth/testing';

import { NOTIFICATIONS_SCOPES } from './scopes';

describe('notifications scope table', () => {
  it('declares a scope for every gRPC method', () => {
    assertScopeTableCoversProto(
      NOTIFICATIONS_SCOPES,
      'trellis/notifications/v1/notifications.proto',
      5,
    );
  });
});
