/** RFC 6749 §5.2 error codes the token endpoint answers with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unsupported_grant_type'
  /** RFC 6749 §4.1.2.1: an upstream (the citizens' identity provider) cannot be reached. */
  | 'temporarily_unavailable';

/**
 * A token-endpoint refusal. Only `error` reaches the client (no description: nothing that helps an
 * attacker tell an unknown client from a bad signature); `reason` is for the logs. `description`
 * (RFC 6749 error_description) is set only after the client authenticated, for what it must fix
 * (e.g. the conformance certificate its scopes need).
 */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly reason: string,
    readonly description?: string,
  ) {
    super(`${error}: ${reason}`);
    this.name = 'OAuthError';
  }

  get httpStatus(): number {
    return this.error === 'invalid_client'
      ? 401
      : this.error === 'temporarily_unavailable'
        ? 503
        : 400;
  }
}

/** The request was refused by the rate limiter. */
export class RateLimitedError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('rate limit exceeded');
    this.name = 'RateLimitedError';
  }
}
