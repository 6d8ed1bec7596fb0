import { type Outbox, type RawSqlClient } from '@trellis/events';
import { type BaseConfig, kafkaConnection } from '@trellis/service-kit';

import { type TrellisAuthOptions } from './auth.module';
import { createAccessAuditor, createSystemStatusFeed } from './contracts-codec';
import { type ScopeTable } from './scope-table';
import { serviceIdentityFromConfig } from './service-identity';

/** Where a service finds the gateway that issues the access tokens it verifies. */
export interface GatewayAuthConfig {
  GATEWAY_URL?: string;
  AUTH_ISSUER?: string;
  AUTH_JWKS_URL?: string;
}

/** The issuer and JWKS of the gateway: explicit settings, else derived from GATEWAY_URL. */
export function gatewayAuthEndpoints(config: GatewayAuthConfig): {
  issuer: string;
  jwksUrl: string;
} {
  const gateway = config.GATEWAY_URL?.replace(/\/+$/, '');
  const issuer = config.AUTH_ISSUER ?? gateway;
  const jwksUrl =
    config.AUTH_JWKS_URL ?? (gateway ? `${gateway}/.well-known/jwks.json` : undefined);
  if (!issuer || !jwksUrl)
    throw new Error(
      'Set GATEWAY_URL, or AUTH_ISSUER and AUTH_JWKS_URL, so access tokens can be verified',
    );
  return { issuer, jwksUrl };
}

/** Test seams: a local key set and a static suspension feed instead of JWKS and Kafka. */
export type AuthOverrides = Partial<
  Pick<TrellisAuthOptions, 'keySet' | 'statusFeed' | 'issuer' | 'audience'>
>;

export interface ServiceAuthSetup<Tx extends RawSqlClient> {
  service: string;
  config: BaseConfig & GatewayAuthConfig & { SERVICE_IDENTITY_KEY_FILE?: string };
  scopeTable: ScopeTable;
  overrides?: AuthOverrides | undefined;
  /** Platforms: refuse protected calls that carry no service token (local systems use the gateway). */
  requireServiceIdentity?: boolean;
  /** The suspension feed's topic when the service reads another than the default. */
  statusTopic?: string | undefined;
  /** Access records through the service's own outbox (omitted: the service audits nothing itself). */
  audit?: { db: Tx; outbox: Outbox };
}

/**
 * The one guard's options for a service behind the gateway: tokens verified against the gateway's
 * JWKS (or the test key set), the suspension feed from Kafka (required), the service identity,
 * the scope table and, when given, access records written through the service's outbox.
 */
export function serviceAuthOptions<Tx extends RawSqlClient>(
  setup: ServiceAuthSetup<Tx>,
): TrellisAuthOptions {
  const { service, config, overrides } = setup;
  const connection = kafkaConnection(config);
  const statusFeed =
    overrides?.statusFeed ??
    (connection
      ? createSystemStatusFeed({
          service,
          connection,
          ...(setup.statusTopic ? { topic: setup.statusTopic } : {}),
        })
      : undefined);
  if (!statusFeed) throw new Error('KAFKA_BROKERS is required for the suspension feed');
  const endpoints =
    overrides?.keySet && overrides.issuer
      ? { issuer: overrides.issuer, jwksUrl: '' }
      : gatewayAuthEndpoints(config);
  const audience = overrides?.audience ?? config.AUTH_AUDIENCE;
  const audit = setup.audit;
  return {
    service,
    serviceIdentity: serviceIdentityFromConfig(service, config),
    ...(setup.requireServiceIdentity ? { requireServiceIdentity: true } : {}),
    scopeTable: setup.scopeTable,
    issuer: endpoints.issuer,
    ...(audience ? { audience } : {}),
    ...(overrides?.keySet ? { keySet: overrides.keySet } : { jwksUrl: endpoints.jwksUrl }),
    statusFeed,
    ...(audit
      ? {
          auditor: createAccessAuditor({
            service,
            db: audit.db,
            outbox: {
              enqueue: (tx: Tx, m) => audit.outbox.enqueue(tx, { ...m, key: m.key || null }),
            },
          }),
        }
      : {}),
  };
}
