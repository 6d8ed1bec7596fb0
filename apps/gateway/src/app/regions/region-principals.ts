import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { CONFIG } from '@trellis/service-kit';

import { GATEWAY_CONFIG, type GatewayConfig, type GatewayEnv } from '../config/gateway.config';
import { KafkaAdminPrincipals } from './kafka-admin-principals';
import { KubernetesApi } from './kubernetes-api';
import { type PrincipalSpec, type PrincipalStore } from './principal-store';
import { regionStream } from './regional.service';
import { StrimziPrincipals } from './strimzi-principals';

export interface RegionPrincipal {
  /** The Kafka user: `region-<region>.<client id>`. */
  principal: string;
  topic: string;
  /** Consumer groups it may use: this prefix (the regional stream health reads them). */
  groupPrefix: string;
  /** Returned once, at creation or rotation; never stored by the platform. */
  password?: string;
  /**
   * `kafka`: created by the gateway on the broker; `strimzi`: a KafkaUser the gateway wrote,
   * applied by the cluster's User Operator; `operator`: left to the chart's values (no password).
   */
  managedBy: 'kafka' | 'strimzi' | 'operator';
}

export const principalOf = (region: string, clientId: string): string =>
  `region-${region}.${clientId}`;

/** Injection token of an adapter given directly (unit specs). */
export const REGION_PRINCIPAL_STORE = Symbol('REGION_PRINCIPAL_STORE');

/** The broker or the Kubernetes API refused or failed a principal's write. */
export class PrincipalWriteFailed extends Error {
  constructor(
    readonly principal: string,
    readonly failure: unknown,
  ) {
    super(
      `the Kafka principal ${principal} could not be written: ${String(failure).slice(0, 160)}`,
    );
  }
}

/** The adapter the environment names, or none (GATEWAY_REGION_PRINCIPALS=none). */
export function principalStoreFor(
  env: GatewayEnv,
  config: GatewayConfig,
): PrincipalStore | undefined {
  switch (env.GATEWAY_REGION_PRINCIPALS) {
    case 'kafka':
      return new KafkaAdminPrincipals(config.kafka);
    case 'strimzi': {
      if (!env.KUBERNETES_SERVICE_HOST || !env.GATEWAY_STRIMZI_CLUSTER)
        throw new Error(
          'GATEWAY_REGION_PRINCIPALS=strimzi needs KUBERNETES_SERVICE_HOST (run in a pod) and GATEWAY_STRIMZI_CLUSTER',
        );
      const api = new KubernetesApi({
        host: env.KUBERNETES_SERVICE_HOST,
        port: env.KUBERNETES_SERVICE_PORT,
        serviceAccountDir: env.GATEWAY_KUBERNETES_SERVICE_ACCOUNT_DIR,
      });
      return new StrimziPrincipals(api, env.GATEWAY_STRIMZI_CLUSTER);
    }
    case 'none':
      return undefined;
  }
}

/**
 * A regional authority client's Kafka principal (issue 18), managed with the client through the
 * regional API, with no shell step: a SCRAM-SHA-512 user `region-<region>.<client>` allowed
 * READ/DESCRIBE on the region's stream (literal) and on the groups `region-<region>.` (prefixed),
 * nothing else — on the broker directly or as a Strimzi KafkaUser (principal-store.ts).
 * The caller's authority over the region is checked before any of this runs.
 */
@Injectable()
export class RegionPrincipals implements OnApplicationShutdown {
  private readonly logger = new Logger('RegionPrincipals');
  private readonly store: PrincipalStore | undefined;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(CONFIG) env: GatewayEnv,
    /** An adapter given directly (unit specs); otherwise the one the environment names. */
    @Optional() @Inject(REGION_PRINCIPAL_STORE) store?: PrincipalStore | null,
  ) {
    this.store = store ?? principalStoreFor(env, config);
  }

  get managed(): boolean {
    return this.store !== undefined;
  }

  /** Who keeps the principals: as in each principal's `managedBy`. */
  get managedBy(): RegionPrincipal['managedBy'] {
    return this.store?.managedBy ?? 'operator';
  }

  private spec(region: string, clientId: string): PrincipalSpec {
    return {
      region,
      clientId,
      principal: principalOf(region, clientId),
      topic: regionStream(region, this.config.regionTopicPrefix),
      groupPrefix: `region-${region}.`,
    };
  }

  /**
   * Creates (or re-keys) the principal and its ACLs; the new password is in the answer. A failure
   * is a PrincipalWriteFailed (the caller decides what to undo and what to tell).
   */
  async provision(region: string, clientId: string): Promise<RegionPrincipal> {
    const spec = this.spec(region, clientId);
    const { principal, topic, groupPrefix } = spec;
    if (!this.store) return { principal, topic, groupPrefix, managedBy: 'operator' };
    try {
      const password = await this.store.upsert(spec);
      return { principal, topic, groupPrefix, password, managedBy: this.store.managedBy };
    } catch (err) {
      // the cause only: never the request, which a password may be part of
      this.logger.warn(`Kafka principal ${principal}: ${String(err).slice(0, 300)}`);
      throw new PrincipalWriteFailed(principal, err);
    }
  }

  /** Removes the principal's ACLs and SCRAM credential (the client's withdrawal; tests). */
  async revoke(region: string, clientId: string): Promise<void> {
    await this.store?.remove(this.spec(region, clientId));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store?.close?.();
  }
}
