import { createLocalJWKSet, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';

import { type SigningKey } from '../tokens/signing-keys';

export const CERTIFICATE_TYPE = 'trellis-conformance-certificate+jwt';

/** What a conformance certificate names (the JWT's private claims). */
export interface CertificateClaims {
  supplier: string;
  product: string;
  product_name: string;
  version: string;
  product_version: string;
  role: string;
  rules_version: string;
  test_reports: string[];
  session: string;
}

/** The audience of every certificate: the public register. */
export const certificateAudience = (publicUrl: string): string =>
  `${publicUrl}/fhir/VerificationResult`;

/** Signs a certificate with the platform key (its kid is in the published JWKS). */
export async function signCertificate(
  key: SigningKey,
  publicUrl: string,
  cert: { id: string; claims: CertificateClaims; issued: Date; expires: Date },
): Promise<string> {
  return new SignJWT({ ...cert.claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: CERTIFICATE_TYPE })
    .setIssuer(publicUrl)
    .setSubject(cert.claims.product_version)
    .setAudience(certificateAudience(publicUrl))
    .setJti(cert.id)
    .setIssuedAt(Math.floor(cert.issued.getTime() / 1000))
    .setExpirationTime(Math.floor(cert.expires.getTime() / 1000))
    .sign(key.privateKey);
}

/**
 * Verifies a certificate as a relying party does: with the published JWKS alone (signature, kid,
 * issuer, audience, type, expiry). Rejects on any alteration.
 */
export async function verifyCertificate(
  jwt: string,
  jwks: { keys: JWK[] },
  publicUrl: string,
): Promise<JWTPayload> {
  const { payload } = await jwtVerify(jwt, createLocalJWKSet(jwks), {
    issuer: publicUrl,
    audience: certificateAudience(publicUrl),
    typ: CERTIFICATE_TYPE,
  });
  return payload;
}
