import { randomBytes } from 'node:crypto';

/** One authority client's Kafka principal, as every adapter grants it (issue 18). */
export interface PrincipalSpec {
  region: string;
  clientId: string;
  /** The Kafka user: `region-<region>.<client id>`. */
  principal: string;
  /** The region's stream: READ and DESCRIBE, literal. */
  topic: string;
  /** `region-<region>.`: READ and DESCRIBE on groups with this prefix. */
  groupPrefix: string;
}

/**
 * The port: where an authority client's SCRAM-SHA-512 principal and its ACLs live. Two adapters:
 * the local broker's admin API (`kafka-admin-principals.ts`) and Strimzi KafkaUsers through the
 * Kubernetes API (`strimzi-principals.ts`). Both grant exactly the same rights.
 */
export interface PrincipalStore {
  /** What the answer's `managedBy` says. */
  readonly managedBy: 'kafka' | 'strimzi';
  /** Creates the principal or gives it a new password (the old one stops working); answers it. */
  upsert(spec: PrincipalSpec): Promise<string>;
  /** Deletes the principal and its ACLs; an absent principal is not an error (retries). */
  remove(spec: PrincipalSpec): Promise<void>;
  close?(): Promise<void>;
}

/** 24 random bytes: 192 bits, URL-safe (no quoting in a JAAS line or a properties file). */
export const newPassword = (): string => randomBytes(24).toString('base64url');
