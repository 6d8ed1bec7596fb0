import { type ScopeRule } from '@trellis/auth';

/** OAuth2 token endpoint and discovery documents: public by design (listed, not implied). */
export const TOKEN_SCOPE_RULES: Readonly<Record<string, ScopeRule>> = {
  'POST /oauth2/token': { public: true },
  'GET /.well-known/smart-configuration': { public: true },
  'GET /.well-known/jwks.json': { public: true },
  // the notifications service's delivery tokens: its service token is checked by the controller
  'POST /internal/notifications/delivery-token': { public: true },
};
