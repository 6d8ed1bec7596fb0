import { type Caller } from './caller';

/** Why a call was refused. Mapped to gRPC UNAUTHENTICATED/PERMISSION_DENIED or HTTP 401/403. */
export enum AuthErrorCode {
  MissingToken = 'MISSING_TOKEN',
  InvalidToken = 'INVALID_TOKEN',
  SystemSuspended = 'SYSTEM_SUSPENDED',
  InsufficientScope = 'INSUFFICIENT_SCOPE',
  /** A write by a system whose product version's write scopes compliance enforcement withdrew. */
  WritesRestricted = 'WRITES_RESTRICTED',
  UndeclaredMethod = 'UNDECLARED_METHOD',
  AuthUnavailable = 'AUTH_UNAVAILABLE',
  /** A platform was called without a valid service token (not through the gateway or a peer). */
  ServiceIdentityRequired = 'SERVICE_IDENTITY_REQUIRED',
  /**
   * The service's own admission rule refused the caller (the gateway: a system not yet live calls
   * the platforms outside a conformance session, issue 18). The error's `rule` names the rule.
   */
  NotAdmitted = 'NOT_ADMITTED',
}

export type AuthFailureKind = 'unauthenticated' | 'forbidden' | 'unavailable';

export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    /** Safe, client-facing message (never includes token contents or verifier internals). */
    message: string,
    /** Internal reason for logs only. */
    readonly reason?: string,
    /**
     * The system the token authenticated, when the refusal came after (a suspended system): the
     * access audit attributes the refused call to it.
     */
    readonly caller?: Caller,
    /** The rule that refused, when it is more precise than the code (shown to the client). */
    readonly rule?: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }

  get kind(): AuthFailureKind {
    switch (this.code) {
      case AuthErrorCode.MissingToken:
      case AuthErrorCode.InvalidToken:
      case AuthErrorCode.SystemSuspended:
      case AuthErrorCode.ServiceIdentityRequired:
        return 'unauthenticated';
      case AuthErrorCode.InsufficientScope:
      case AuthErrorCode.WritesRestricted:
      case AuthErrorCode.UndeclaredMethod:
      case AuthErrorCode.NotAdmitted:
        return 'forbidden';
      case AuthErrorCode.AuthUnavailable:
        return 'unavailable';
    }
  }
}
