import { baseConfigSchema } from '@trellis/service-kit';
import { createLocalJWKSet } from 'jose';

import { gatewayAuthEndpoints, serviceAuthOptions } from './service-auth';
import { StaticSystemStatusFeed } from './system-status';

const config = {
  ...baseConfigSchema.parse({ SERVICE_NAME: 'referrals' }),
  GATEWAY_URL: 'https://gateway.trellis.test/',
};

describe('gatewayAuthEndpoints', () => {
  it('derives issuer and JWKS from the gateway URL, explicit settings first', () => {
    expect(gatewayAuthEndpoints({ GATEWAY_URL: 'https://gw.test//' })).toEqual({
      issuer: 'https://gw.test',
      jwksUrl: 'https://gw.test/.well-known/jwks.json',
    });
    expect(
      gatewayAuthEndpoints({
        GATEWAY_URL: 'https://gw.test',
        AUTH_ISSUER: 'https://issuer.test',
        AUTH_JWKS_URL: 'https://keys.test/jwks',
      }),
    ).toEqual({ issuer: 'https://issuer.test', jwksUrl: 'https://keys.test/jwks' });
  });

  it('says what to set when it cannot verify tokens', () => {
    expect(() => gatewayAuthEndpoints({ AUTH_ISSUER: 'https://issuer.test' })).toThrow(
      'Set GATEWAY_URL, or AUTH_ISSUER and AUTH_JWKS_URL',
    );
  });
});

describe('serviceAuthOptions', () => {
  const scopeTable = {
    '/trellis.referrals.v1.ReferralService/GetReferral': { scope: 'system/ServiceRequest.r' },
  };

  it('refuses to start without a suspension feed (no Kafka, no test feed)', () => {
    expect(() => serviceAuthOptions({ service: 'referrals', config, scopeTable })).toThrow(
      'KAFKA_BROKERS is required for the suspension feed',
    );
  });

  it('verifies against the gateway JWKS in production and the test key set in tests', () => {
    const statusFeed = new StaticSystemStatusFeed();
    const live = serviceAuthOptions({
      service: 'referrals',
      config,
      scopeTable,
      requireServiceIdentity: true,
      overrides: { statusFeed },
    });
    expect(live).toMatchObject({
      service: 'referrals',
      issuer: 'https://gateway.trellis.test',
      jwksUrl: 'https://gateway.trellis.test/.well-known/jwks.json',
      requireServiceIdentity: true,
      statusFeed,
    });
    expect(live.auditor).toBeUndefined();
    const keySet = createLocalJWKSet({ keys: [] });
    const test = serviceAuthOptions({
      service: 'referrals',
      config,
      scopeTable,
      overrides: { statusFeed, keySet, issuer: 'https://test-authority', audience: 'urn:test' },
    });
    expect(test).toMatchObject({ issuer: 'https://test-authority', audience: 'urn:test', keySet });
    expect(test).not.toHaveProperty('jwksUrl');
    expect(test).not.toHaveProperty('requireServiceIdentity');
  });
});
