import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
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
import { CONFIG, DomainError } from '@trellis/platform';

import { GATEWAY_CONFIG, type GatewayConfig, type GatewayEnv } from '../config/gateway.config';
import { regionStream } from './regional.service';

/** SCRAM-SHA-512 in the AlterUserScramCredentials API; 8192 iterations (Kafka's minimum is 4096). */
const SCRAM_SHA_512 = 2;
const ITERATIONS = 8192;

export interface RegionPrincipal {
  /** The Kafka user: `region-<region>.<client id>`. */
  principal: string;
  topic: string;
  /** Consumer groups it may use: this prefix (the regional stream health reads them). */
  groupPrefix: string;
  /** Returned once, at creation or rotation; never stored by the platform. */
  password?: string;
  /** `kafka`: created by the gateway now; `operator`: the cluster's operator creates it. */
  managedBy: 'kafka' | 'operator';
}

export const principalOf = (region: string, clientId: string): string =>
  `region-${region}.${clientId}`;

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
 * A regional authority client's Kafka principal (issue 18), managed with the client through the
 * regional API: a SCRAM-SHA-512 user `region-<region>.<client>` (AlterUserScramCredentials; the
 * gateway's own principal must be allowed to alter the cluster) and ACLs allowing READ/DESCRIBE on
 * the region's stream (literal) and on the groups `region-<region>.` (prefixed) — nothing else.
 * With GATEWAY_REGION_PRINCIPALS=none the chart's Strimzi KafkaUsers do it instead.
 */
@Injectable()
export class RegionPrincipals implements OnApplicationShutdown {
  private readonly logger = new Logger('RegionPrincipals');
  private admin: Admin | undefined;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(CONFIG) private readonly env: GatewayEnv,
  ) {}

  get managed(): boolean {
    return this.env.GATEWAY_REGION_PRINCIPALS === 'kafka';
  }

  /** Creates (or re-keys) the principal and its ACLs; the new password is in the answer. */
  async provision(region: string, clientId: string): Promise<RegionPrincipal> {
    const principal = principalOf(region, clientId);
    const topic = regionStream(region, this.config.regionTopicPrefix);
    const groupPrefix = `region-${region}.`;
    if (!this.managed) return { principal, topic, groupPrefix, managedBy: 'operator' };
    const password = randomBytes(24).toString('base64url');
    try {
      await this.upsertScram(principal, password);
      await this.adminClient().createAcls({ creations: this.acls(principal, topic, groupPrefix) });
    } catch (err) {
      this.logger.warn(`Kafka principal ${principal}: ${String(err)}`);
      throw new DomainError(
        'gateway',
        'KAFKA_PRINCIPAL_FAILED',
        'UNAVAILABLE',
        `the Kafka principal ${principal} could not be created (retry with POST …/authority-clients/${clientId}/kafka-credentials)`,
      );
    }
    return { principal, topic, groupPrefix, password, managedBy: 'kafka' };
  }

  /** Removes the principal's ACLs and SCRAM credential (the client's withdrawal; tests). */
  async revoke(region: string, clientId: string): Promise<void> {
    if (!this.managed) return;
    const principal = principalOf(region, clientId);
    const topic = regionStream(region, this.config.regionTopicPrefix);
    await this.adminClient().deleteAcls({
      filters: this.acls(principal, topic, `region-${region}.`),
    });
    await this.withConnection((c) =>
      alterUserScramCredentialsV0.api.async(c, [{ name: principal, mechanism: SCRAM_SHA_512 }], []),
    ).catch((err: unknown) => {
      // already deleted (a retried withdrawal): the principal is gone, which is what was asked
      if (!isOnly(err, 'RESOURCE_NOT_FOUND')) throw err;
    });
  }

  private acls(principal: string, topic: string, groupPrefix: string) {
    const base = {
      principal: `User:${principal}`,
      host: '*',
      permissionType: AclPermissionTypes.ALLOW,
    };
    return [
      {
        resourceType: ResourceTypes.TOPIC,
        resourceName: topic,
        pattern: ResourcePatternTypes.LITERAL,
      },
      {
        resourceType: ResourceTypes.GROUP,
        resourceName: groupPrefix,
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
    const k = this.config.kafka;
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
      bootstrapBrokers: this.config.kafka.brokers,
      ...this.base(),
    });
    return this.admin;
  }

  private async withConnection<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    const [host, port] = (this.config.kafka.brokers[0] ?? '').split(':');
    const c = new Connection('gateway-region-principals', this.base());
    await c.connect(host ?? '', Number(port));
    try {
      return await fn(c);
    } finally {
      await c.close();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin?.close();
  }
}
