import { resolve } from 'node:path';

import { DEFAULT_ACCESS_TOKEN_AUDIENCE, MAX_ACCESS_TOKEN_LIFETIME_SECONDS } from '@trellis/auth';
import { z } from 'zod';

/** Gateway access-control configuration: validated at boot, every problem reported at once. */
export const gatewayConfigSchema = z.object({
  httpPort: z.coerce.number().int().min(1).max(65535).default(8080),
  grpcPort: z.coerce.number().int().min(1).max(65535).default(50050),
  /** Public base URL: the token issuer; the token endpoint is `<publicUrl>/oauth2/token`. */
  publicUrl: z.url().transform((u) => u.replace(/\/+$/, '')),
  audience: z.string().min(1).default(DEFAULT_ACCESS_TOKEN_AUDIENCE),
  signingKeyFile: z.string().min(1),
  accessTokenTtlSeconds: z.coerce.number().int().min(30).max(MAX_ACCESS_TOKEN_LIFETIME_SECONDS).default(300),
  /** Ceiling on how far ahead a client assertion's exp may be (SMART: 5 minutes). */
  assertionMaxLifetimeSeconds: z.coerce.number().int().min(10).max(300).default(300),
  rateLimitPerWindow: z.coerce.number().int().min(1).default(600),
  rateLimitWindowSeconds: z.coerce.number().int().min(1).max(3600).default(60),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL'),
  databaseSchema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('gateway'),
  kafka: z.object({
    brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/)).min(1),
    sasl: z
      .object({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string().min(1),
        password: z.string().min(1),
      })
      .optional(),
    ssl: z.boolean().default(false),
  }),
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

/** Injection token of the config. */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

export function gatewayConfigFromEnv(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  const httpPort = env['GATEWAY_HTTP_PORT'] ?? '8080';
  const mechanism = env['KAFKA_SASL_MECHANISM']?.toLowerCase();
  const raw = {
    httpPort,
    grpcPort: env['GATEWAY_GRPC_PORT'],
    publicUrl: env['GATEWAY_PUBLIC_URL'] ?? `http://127.0.0.1:${httpPort}`,
    audience: env['AUTH_AUDIENCE'],
    signingKeyFile: resolve(env['GATEWAY_SIGNING_KEY_FILE'] ?? '.trellis/secrets/gateway-signing-keys.json'),
    accessTokenTtlSeconds: env['GATEWAY_ACCESS_TOKEN_TTL_SECONDS'],
    assertionMaxLifetimeSeconds: env['GATEWAY_ASSERTION_MAX_LIFETIME_SECONDS'],
    rateLimitPerWindow: env['GATEWAY_RATE_LIMIT_PER_WINDOW'],
    rateLimitWindowSeconds: env['GATEWAY_RATE_LIMIT_WINDOW_SECONDS'],
    databaseUrl: env['DATABASE_URL'] ?? '',
    databaseSchema: env['GATEWAY_DB_SCHEMA'],
    kafka: {
      brokers: (env['KAFKA_BROKERS'] ?? '').split(',').map((b) => b.trim()).filter((b) => b !== ''),
      ssl: env['KAFKA_SSL'] === 'true',
      ...(mechanism
        ? { sasl: { mechanism, username: env['KAFKA_SASL_USERNAME'] ?? '', password: env['KAFKA_SASL_PASSWORD'] ?? '' } }
        : {}),
    },
  };
  const parsed = gatewayConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid gateway configuration:\n  ${issues.join('\n  ')}`);
  }
  return parsed.data;
}

export function tokenEndpointUrl(config: Pick<GatewayConfig, 'publicUrl'>): string {
  return `${config.publicUrl}/oauth2/token`;
}
