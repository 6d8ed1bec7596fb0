import { resolve } from 'node:path';

import { DEFAULT_ACCESS_TOKEN_AUDIENCE, MAX_ACCESS_TOKEN_LIFETIME_SECONDS } from '@trellis/auth';
import {
  baseConfigSchema,
  kafkaConnection,
  requiredKafkaConfig,
  serviceDatabaseConfig,
  type BaseConfig,
} from '@trellis/service-kit';
import { z } from 'zod';

import { CITIZEN_ENV_SHAPE } from '../citizens/citizen.config';
import { FHIR_ENV_SHAPE } from '../fhir/fhir.config';
import { SCORECARD_ENV_SHAPE } from '../scorecards/scorecards.config';
import { SUBSCRIPTION_ENV_SHAPE } from '../subscriptions/subscriptions.config';
import { FRONT_DOOR_ENV_SHAPE } from '../front-door/front-door.config';
import { PRINCIPALS_ENV_SHAPE } from '../regions/principals.config';

/** The gateway's environment: the platform base plus the access-control settings. */
export const gatewayEnvSchema = baseConfigSchema.extend({
  ...serviceDatabaseConfig('gateway'),
  ...requiredKafkaConfig,
  /** Public base URL: token issuer; the token endpoint is `<GATEWAY_PUBLIC_URL>/oauth2/token`. */
  GATEWAY_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  GATEWAY_SIGNING_KEY_FILE: z.string().min(1).default('.trellis/secrets/gateway-signing-keys.json'),
  GATEWAY_ACCESS_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(30)
    .max(MAX_ACCESS_TOKEN_LIFETIME_SECONDS)
    .default(300),
  GATEWAY_ASSERTION_MAX_LIFETIME_SECONDS: z.coerce.number().int().min(10).max(300).default(300),
  GATEWAY_RATE_LIMIT_PER_WINDOW: z.coerce.number().int().min(1).default(600),
  GATEWAY_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** Topic overrides (isolated integration tests); defaults are the registry names. */
  GATEWAY_SYSTEM_TOPIC: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/)
    .default('trellis.gateway.system.v1'),
  AUDIT_ACCESS_TOPIC: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/)
    .default('trellis.audit.access.v1'),
  /** A region's stream is `<prefix><region>.v1` (regional authority acts, issue 18). */
  GATEWAY_REGION_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+\.$/)
    .default('trellis.region.'),
  /** Authority clients' Kafka principals (apps/gateway/src/app/regions/principals.config.ts). */
  ...PRINCIPALS_ENV_SHAPE,
  /** FHIR facade settings (apps/gateway/src/app/fhir/fhir.config.ts). */
  ...FHIR_ENV_SHAPE,
  /** gRPC front door settings (apps/gateway/src/app/front-door/front-door.config.ts). */
  ...FRONT_DOOR_ENV_SHAPE,
  /** Scorecards (apps/gateway/src/app/scorecards/scorecards.config.ts). */
  ...SCORECARD_ENV_SHAPE,
  /** Subscriptions (apps/gateway/src/app/subscriptions/subscriptions.config.ts). */
  ...SUBSCRIPTION_ENV_SHAPE,
  /** Citizen access (apps/gateway/src/app/citizens/citizen.config.ts). */
  ...CITIZEN_ENV_SHAPE,
});
export type GatewayEnv = z.output<typeof gatewayEnvSchema>;

/** The access-control settings in the shape the gateway's code uses. */
export interface GatewayConfig {
  publicUrl: string;
  audience: string;
  signingKeyFile: string;
  /** Generate the signing key file when absent: local development only (replicas must share one ring). */
  generateSigningKeyIfAbsent: boolean;
  accessTokenTtlSeconds: number;
  assertionMaxLifetimeSeconds: number;
  rateLimitPerWindow: number;
  rateLimitWindowSeconds: number;
  databaseUrl: string;
  databaseSchema: string;
  databasePoolSize: number;
  systemTopic: string;
  auditTopic: string;
  regionTopicPrefix: string;
  kafka: {
    brokers: string[];
    ssl: boolean;
    sasl?: {
      mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
      username: string;
      password: string;
    };
  };
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

export function gatewayConfigFrom(env: GatewayEnv, httpPort?: number): GatewayConfig {
  const kafka = kafkaConnection(env as BaseConfig);
  if (!kafka) throw new Error('KAFKA_BROKERS is required');
  const publicUrl = (
    env.GATEWAY_PUBLIC_URL ?? `http://127.0.0.1:${httpPort ?? env.HTTP_PORT}`
  ).replace(/\/+$/, '');
  return {
    publicUrl,
    audience: env.AUTH_AUDIENCE ?? DEFAULT_ACCESS_TOKEN_AUDIENCE,
    signingKeyFile: resolve(env.GATEWAY_SIGNING_KEY_FILE),
    generateSigningKeyIfAbsent: env.DEPLOY_ENV === 'local',
    accessTokenTtlSeconds: env.GATEWAY_ACCESS_TOKEN_TTL_SECONDS,
    assertionMaxLifetimeSeconds: env.GATEWAY_ASSERTION_MAX_LIFETIME_SECONDS,
    rateLimitPerWindow: env.GATEWAY_RATE_LIMIT_PER_WINDOW,
    rateLimitWindowSeconds: env.GATEWAY_RATE_LIMIT_WINDOW_SECONDS,
    databaseUrl: env.DATABASE_URL,
    databaseSchema: env.DATABASE_SCHEMA,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    systemTopic: env.GATEWAY_SYSTEM_TOPIC,
    auditTopic: env.AUDIT_ACCESS_TOPIC,
    regionTopicPrefix: env.GATEWAY_REGION_TOPIC_PREFIX,
    kafka: {
      brokers: kafka.brokers,
      ssl: kafka.ssl,
      ...(kafka.sasl ? { sasl: kafka.sasl } : {}),
    },
  };
}

export function tokenEndpointUrl(config: Pick<GatewayConfig, 'publicUrl'>): string {
  return `${config.publicUrl}/oauth2/token`;
}
