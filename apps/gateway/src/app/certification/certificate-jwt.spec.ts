import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { decodeJwt, exportJWK, generateKeyPair, SignJWT, decodeProtectedHeader } from 'jose';

import { ensureSigningKeyFile, SigningKeyRing } from '../tokens/signing-keys';
import { signCertificate, verifyCertificate, type CertificateClaims } from './certificate-jwt';

const URL_ = 'https://trellis.example';
const claims: CertificateClaims = {
  supplier: 'Acme Ltd',
  product: 'acme-gp',
  product_name: 'Acme GP',
  version: '2.1',
  product_version: 'acme-gp@2.1',
  role: 'gp-system',
  rules_version: 'trellis-rules-2026.12',
  test_reports: [`${URL_}/fhir/TestReport/7c1e2f0a-1111-4222-8333-944445555666`],
  session: '2b0f1a3c-1111-4222-8333-944445555666',
};

const b64 = (json: unknown) => Buffer.from(JSON.stringify(json)).toString('base64url');

describe('conformance certificate JWT', () => {
  let dir: string;
  let ring: SigningKeyRing;
  let jwt: string;
  const issued = new Date();
  const expires = new Date(issued.getTime() + 365 * 86_400_000);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cert-keys-'));
    await ensureSigningKeyFile(join(dir, 'keys.json'));
    ring = await SigningKeyRing.load(join(dir, 'keys.json'));
    jwt = await signCertificate(ring.current, URL_, {
      id: 'a1b2c3d4-1111-4222-8333-944445555666',
      claims,
      issued,
      expires,
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies with the published JWKS alone', async () => {
    const payload = await verifyCertificate(jwt, ring.jwks(), URL_);
    expect(payload).toMatchObject({ ...claims, sub: 'acme-gp@2.1', iss: URL_ });
  });

  it('fails when the payload is altered and the signature kept', async () => {
    const [header, , signature] = jwt.split('.');
    const forged = { ...decodeJwt(jwt), role: 'hospital-epr' };
    const tampered = `${header}.${b64(forged)}.${signature}`;
    await expect(verifyCertificate(tampered, ring.jwks(), URL_)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
    const extended = `${header}.${b64({ ...decodeJwt(jwt), exp: decodeJwt(jwt).exp! + 86_400 })}.${signature}`;
    await expect(verifyCertificate(extended, ring.jwks(), URL_)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
  });

  it('fails when signed by a key not in the JWKS, under an unknown kid or the published one', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
    const header = decodeProtectedHeader(jwt);
    const signWith = (kid: string) =>
      new SignJWT({ ...decodeJwt(jwt) })
        .setProtectedHeader({ alg: 'ES384', kid, typ: header.typ! })
        .sign(privateKey);
    await expect(
      verifyCertificate(await signWith('attacker-key'), ring.jwks(), URL_),
    ).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    // reusing the platform's kid does not help: the published key does not match the signature
    await expect(
      verifyCertificate(await signWith(ring.current.kid), ring.jwks(), URL_),
    ).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    // the same forgery verifies against the attacker's own key set: the check is the key, not the shape
    const own = { keys: [{ ...(await exportJWK(publicKey)), kid: 'attacker-key', alg: 'ES384' }] };
    await expect(
      verifyCertificate(await signWith('attacker-key'), own, URL_),
    ).resolves.toMatchObject({ role: 'gp-system' });
  });
});
