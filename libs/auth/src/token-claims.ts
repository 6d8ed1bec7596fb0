/** The platform access token, shared by the issuer (gateway) and every verifier. */

/** JOSE `typ` of access tokens (RFC 9068): keeps client assertions from passing as access tokens. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** Only these signature algorithms are accepted anywhere (assertions and access tokens). */
export const ALLOWED_ALGORITHMS = ['RS384', 'ES384'] as const;
export type AllowedAlgorithm = (typeof ALLOWED_ALGORITHMS)[number];
/** Hard ceiling on access-token lifetime (exp - iat), the suspension backstop. */
export const MAX_ACCESS_TOKEN_LIFETIME_SECONDS = 300;
/** Default `aud` of platform access tokens. */
export const DEFAULT_ACCESS_TOKEN_AUDIENCE = 'urn:trellis:platform';

export interface AccessTokenClaims {
  iss: string;
  sub: string; // connected-system id
  aud: string;
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope: string;
  ods_code: string;
  region: string;
  /** Supplier product version the connected system deploys (gateway product registry). */
  product_version?: string;
}
