import { generateKeyPairSync } from 'node:crypto';

import {
  DOOR_HEADER,
  FHIR_DOOR_AUDITED,
  GatewayVouchSigner,
  GatewayVouchVerifier,
  VOUCH_HEADER,
} from '@trellis/auth';
import { createLocalJWKSet, type JWK } from 'jose';

import { platformForward, type ForwardContext } from './platform-clients';

const ISSUER = 'https://gateway.test.trellis';

describe('platformForward: the vouch on every platform call', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid: 'k1', alg: 'ES384' };
  const signer = new GatewayVouchSigner({
    issuer: ISSUER,
    key: { kid: 'k1', alg: 'ES384', privateKey },
  });
  const verifierAt = (service: string) =>
    new GatewayVouchVerifier({
      service,
      issuer: ISSUER,
      keySet: createLocalJWKSet({ keys: [jwk] }),
    });
  const ctx: ForwardContext = {
    authorization: 'Bearer a.b.c',
    correlationId: 'corr-1',
    auditedByGateway: true,
    vouch: {
      systemId: 'gp-1',
      accessToken: 'a.b.c',
      writesRestricted: true,
      checkedAt: Date.now(),
      admission: 'admitted',
    },
  };

  it('mints, per platform called, a vouch addressed to it stating what the guard checked', async () => {
    const forward = platformForward(ctx, signer);
    expect(forward).not.toHaveProperty('vouch');
    expect(forward.headers).toEqual({ [DOOR_HEADER]: FHIR_DOOR_AUDITED });
    const vouch = forward.peerHeaders?.('results')[VOUCH_HEADER];
    await expect(
      verifierAt('results').verify(vouch, { accessToken: 'a.b.c', systemId: 'gp-1' }),
    ).resolves.toMatchObject({ audience: 'results', status: 'writes-restricted' });
    await expect(
      verifierAt('identity').verify(vouch, { accessToken: 'a.b.c', systemId: 'gp-1' }),
    ).rejects.toMatchObject({ reason: 'vouch for another service' });
  });

  it('sends no vouch without a checked caller or a signer', () => {
    const { vouch: _vouch, ...unchecked } = ctx;
    expect(platformForward(unchecked, signer).peerHeaders).toBeUndefined();
    expect(platformForward(ctx).peerHeaders).toBeUndefined();
  });
});
