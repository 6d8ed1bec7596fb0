import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

import {
  AclOperations,
  AclPermissionTypes,
  Admin,
  alterUserScramCredentialsV0,
  Connection,
  ResourcePatternTypes,
  ResourceTypes,
  type SASLMechanismValue,
} from '@platformatic/kafka';

import { type GatewayConfig } from '../config/gateway.config';
import { newPassword, type PrincipalSpec, type PrincipalStore } from './principal-store';

/** SCRAM-SHA-512 in the AlterUserScramCredentials API; 8192 iterations (Kafka's minimum is 4096). */
const SCRAM_SHA_512 = 2;
const ITERATIONS = 8192;

/** The broker's stored SCRAM credential for a password (RFC 5802 SaltedPassword). */
export function scramCredential(
  password: string,
  salt: Buffer = randomBytes(32),
): { salt: Buffer; saltedPassword: Buffer; iterations: number } {
  return {
    salt,
    saltedPassword: pbkdf2Sync(password, salt, ITERATIONS, 64, 'sha512'),
    iterations: ITERATIONS,
  };
}

/** StoredKey of RFC 5802 (what a SCRAM server checks), for the unit spec's cross-check. */
export function storedKey(saltedPassword: Buffer): Buffer {
  const clientKey = createHmac('sha512', saltedPassword).update('Client Key').digest();
  return createHash('sha512').update(clientKey).digest();
}

/** Whether a Kafka response error holds only protocol errors of this id. */
function isOnly(err: unknown, apiId: string): boolean {
  if (!(err instanceof AggregateError) || err.errors.length === 0) return false;
  return err.errors.every(
    (e: unknown) =>
      typeof e === 'object' && e !== null && (e as { apiId?: unknown }).apiId === apiId,
  );
}

/**
 * The local-broker adapter (GATEWAY_REGION_PRINCIPALS=kafka): the SCRAM-SHA-512 user through
 * AlterUserScramCredentials (the gateway's own principal must be allowed to alter the cluster)
 * and the ACLs through CreateAcls/DeleteAcls, on the broker the gateway publishes to.
 */
export class KafkaAdminPrincipals implements PrincipalStore {
  readonly managedBy = 'kafka';
  private admin: Admin | undefined;

  constructor(private readonly kafka: GatewayConfig['kafka']) {}

  async upsert(spec: PrincipalSpec): Promise<string> {
    const password = newPassword();
    await this.upsertScram(spec.principal, password);
    await this.adminClient().createAcls({ creations: this.acls(spec) });
    return password;
  }

  async remove(spec: PrincipalSpec): Promise<void> {
    await this.adminClient().deleteAcls({ filters: this.acls(spec) });
    await this.withConnection((c) =>
      alterUserScramCredentialsV0.api.async(
        c,
        [{ name: spec.principal, mechanism: SCRAM_SHA_512 }],
        [],
      ),
    ).catch((err: unknown) => {
      // already deleted (a retried withdrawal): the principal is gone, which is what was asked
      if (!isOnly(err, 'RESOURCE_NOT_FOUND')) throw err;
    });
  }

  /** READ and DESCRIBE on the region's stream (literal) and its groups (prefixed); nothing else. */
  private acls(spec: PrincipalSpec) {
    const base = {
      principal: `User:${spec.principal}`,
      host: '*',
      permissionType: AclPermissionTypes.ALLOW,
    };
    return [
      {
        resourceType: ResourceTypes.TOPIC,
        resourceName: spec.topic,
        pattern: ResourcePatternTypes.LITERAL,
      },
      {
        resourceType: ResourceTypes.GROUP,
        resourceName: spec.groupPrefix,
        pattern: ResourcePatternTypes.PREFIXED,
      },
    ].flatMap((r) =>
      [AclOperations.READ, AclOperations.DESCRIBE].map((operation) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        resourcePatternType: r.pattern,
        operation,
        ...base,
      })),
    );
  }

  private async upsertScram(principal: string, password: string): Promise<void> {
    const cred = scramCredential(password);
    const res = await this.withConnection((c) =>
      alterUserScramCredentialsV0.api.async(
        c,
        [],
        [
          {
            name: principal,
            mechanism: SCRAM_SHA_512,
            iterations: cred.iterations,
            salt: cred.salt,
            saltedPassword: cred.saltedPassword,
          },
        ],
      ),
    );
    const failed = res.results.find((r) => r.errorCode !== 0);
    if (failed)
      throw new Error(
        `AlterUserScramCredentials ${failed.errorCode}: ${failed.errorMessage ?? ''}`,
      );
  }

  private base() {
    const k = this.kafka;
    return {
      ...(k.ssl ? { tls: {} } : {}),
      ...(k.sasl
        ? {
            sasl: {
              mechanism: k.sasl.mechanism.toUpperCase() as SASLMechanismValue,
              username: k.sasl.username,
              password: k.sasl.password,
            },
          }
        : {}),
    };
  }

  private adminClient(): Admin {
    this.admin ??= new Admin({
      clientId: 'gateway-region-principals',
      bootstrapBrokers: this.kafka.brokers,
      ...this.base(),
    });
    return this.admin;
  }

  private async withConnection<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    const [host, port] = (this.kafka.brokers[0] ?? '').split(':');
    const c = new Connection('gateway-region-principals', this.base());
    await c.connect(host ?? '', Number(port));
    try {
      return await fn(c);
    } finally {
      await c.close();
    }
  }

  async close(): Promise<void> {
    await this.admin?.close();
  }
}
