import { randomBytes } from 'node:crypto';

import Provider, { type Configuration } from 'oidc-provider';

import { isCitizen, type CitizenDirectory } from './citizens';
import type { CitizenIdpConfig } from './config';

/**
 * The OpenID provider (panva/oidc-provider, certified): authorization code flow with PKCE (S256,
 * required), one public client (the citizen app), the claims NHS login gives a relying party —
 * `nhs_number`, name, birth date, email — in the ID token as well as at userinfo.
 */
export function createProvider(
  config: CitizenIdpConfig,
  issuer: string,
  citizens: CitizenDirectory,
  jwks: { keys: object[] },
): Provider {
  const configuration: Configuration = {
    clients: [
      {
        client_id: config.CITIZEN_IDP_CLIENT_ID,
        client_name: 'Trellis citizen access',
        token_endpoint_auth_method: 'none',
        redirect_uris: config.CITIZEN_IDP_REDIRECT_URIS,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    pkce: { required: () => true },
    responseTypes: ['code'],
    jwks: jwks as Configuration['jwks'],
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'profile', 'email', 'nhs_number'],
    claims: {
      openid: ['sub'],
      profile: ['given_name', 'family_name', 'birthdate'],
      email: ['email'],
      nhs_number: ['nhs_number'],
    },
    // NHS login puts the identity claims in the ID token too: the gateway exchanges only that
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      AuthorizationCode: 60,
      IdToken: config.CITIZEN_IDP_ID_TOKEN_TTL_SECONDS,
      AccessToken: config.CITIZEN_IDP_ID_TOKEN_TTL_SECONDS,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    findAccount: (_ctx, sub) => {
      const account = citizens.find(sub);
      if (!account) return undefined;
      const common = {
        sub: account.sub,
        given_name: account.givenName,
        family_name: account.familyName,
        email: account.email,
      };
      return {
        accountId: account.sub,
        // a professional has no NHS number: the gateway binds their sub to their system instead
        claims: () =>
          isCitizen(account)
            ? { ...common, nhs_number: account.nhsNumber, birthdate: account.birthDate }
            : common,
      };
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.proxy = false;
  return provider;
}
