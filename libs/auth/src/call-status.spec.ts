import { generateKeyPairSync, randomUUID } from 'node:crypto';

import { createLocalJWKSet, type JWK } from 'jose';

import { type Caller } from './caller';
import { callStatus, type CallVouch } from './call-status';
import { GatewayVouchSigner, GatewayVouchVerifier, type VouchBasis } from './gateway-vouch';
import { SuspensionCheck } from './suspension-check';
import { SystemStatusRegistry } from './system-status';

const ISSUER = 'https://gateway.test.trellis';
const TOKEN = 'header.payload.signature';

function setup() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const kid = `k-${randomUUID()}`;
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg: 'ES384' };
  const signer = new GatewayVouchSigner({
    issuer: ISSUER,
    key: { kid, alg: 'ES384', privateKey },
    reuseMs: 0,
  });
  const verifier = new GatewayVouchVerifier({
    service: 'appointments',
    issuer: ISSUER,
    keySet: createLocalJWKSet({ keys: [jwk] }),
  });
  const registry = new SystemStatusRegistry();
  const check = new SuspensionCheck(registry);
  check.setFeedState('down', 'connect ECONNREFUSED');
  const caller: Caller = {
    systemId: 'gp-1',
    odsCode: 'A81001',
    region: 'north-east',
    scopes: ['system/Appointment.cruds'],
    tokenId: 'jti-1',
    expiresAt: Math.floor(Date.now() / 1000) + 300,
  };
  const vouch = (over: Partial<VouchBasis> = {}): CallVouch => ({
    value: signer.mint('appointments', {
      systemId: 'gp-1',
      accessToken: TOKEN,
      writesRestricted: false,
      checkedAt: Date.now(),
      admission: 'admitted',
      ...over,
    }),
    verifier,
  });
  const status = (v?: CallVouch, timeoutMs = 5_000) =>
    callStatus(check, caller, TOKEN, timeoutMs, v);
  return { registry, check, vouch, verifier, status };
}

describe('callStatus: a platform whose suspension feed has not replayed', () => {
  it('serves a call the gateway vouched for, with the vouched restriction', async () => {
    const t = setup();
    await expect(t.status(t.vouch())).resolves.toEqual({
      available: true,
      suspended: false,
      writesRestricted: false,
      source: 'vouch',
    });
    await expect(t.status(t.vouch({ writesRestricted: true }))).resolves.toMatchObject({
      available: true,
      writesRestricted: true,
      source: 'vouch',
    });
  });

  it('refuses at once, saying why, without a vouch or with a refused one while the feed is down', async () => {
    const t = setup();
    // 5 s timeout, no wait: the feed is down
    await expect(t.status({ value: undefined, verifier: t.verifier })).resolves.toEqual({
      available: false,
      reason: 'system status replay incomplete; no gateway vouch',
    });
    await expect(t.status(t.vouch({ systemId: 'gp-2' }))).resolves.toEqual({
      available: false,
      reason: 'system status replay incomplete; vouch for another system',
    });
  });

  it('waits for a replay in progress when no vouch came, and then decides on the registry', async () => {
    const t = setup();
    t.check.setFeedState('starting');
    const pending = t.status({ value: undefined, verifier: t.verifier });
    t.registry.apply({ systemId: 'gp-1', status: 'active', version: 1, writesRestricted: true });
    t.registry.markReady();
    await expect(pending).resolves.toMatchObject({
      available: true,
      writesRestricted: true,
      source: 'feed',
    });
  });

  it('lets no vouch loosen what the partial replay already knows', async () => {
    const t = setup();
    t.registry.apply({ systemId: 'gp-1', status: 'suspended', version: 3 });
    await expect(t.status(t.vouch())).resolves.toMatchObject({
      available: true,
      suspended: true,
      source: 'vouch',
    });
  });

  it('once replayed, the registry decides and a vouch can only tighten', async () => {
    const t = setup();
    t.registry.apply({ systemId: 'gp-1', status: 'suspended', version: 3 });
    t.registry.markReady();
    await expect(t.status(t.vouch())).resolves.toMatchObject({ suspended: true, source: 'feed' });
    t.registry.apply({ systemId: 'gp-1', status: 'active', version: 4 });
    await expect(t.status(t.vouch({ writesRestricted: true }))).resolves.toMatchObject({
      suspended: false,
      writesRestricted: true,
      source: 'feed',
    });
    t.registry.apply({ systemId: 'gp-1', status: 'active', version: 5, writesRestricted: true });
    await expect(t.status(t.vouch())).resolves.toMatchObject({
      writesRestricted: true,
      source: 'feed',
    });
    // no vouch-capable service (no verifier): the registry alone
    await expect(t.status(undefined)).resolves.toMatchObject({ writesRestricted: true });
  });
});
