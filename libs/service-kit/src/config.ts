// Typed configuration: one zod schema per app (extend baseConfigSchema), validated once at boot,
// every problem reported at once, injected with @InjectConfig() — never read process.env deep in code.
import { Inject } from '@nestjs/common';
import { z } from 'zod';

export const CONFIG = Symbol.for('trellis.platform.config');

/** Injects the validated config object (type it with your schema's output: `@InjectConfig() cfg: AppConfig`). */
export const InjectConfig = (): PropertyDecorator & ParameterDecorator => Inject(CONFIG);

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const csv = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x.length > 0),
  )
  .pipe(
    z
      .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port'))
      .min(1, 'expected at least one host:port'),
  );
const pgSchemaName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case PostgreSQL identifier');

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Settings every Trellis service understands. Extend per app:
 *   const schema = baseConfigSchema.extend({ DATABASE_URL: z.url(), MY_FLAG: z.stringbool().default(false) });
 */
export const baseConfigSchema = z.object({
  SERVICE_NAME: z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a lower-case service name'),
  SERVICE_VERSION: z.string().default('0.0.0'),
  DEPLOY_ENV: z.string().default('local'),
  GRPC_HOST: z.string().default('0.0.0.0'),
  GRPC_PORT: port(50051),
  HTTP_HOST: z.string().default('0.0.0.0'),
  HTTP_PORT: port(8080),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_SCHEMA: pgSchemaName.optional(),
  KAFKA_BROKERS: csv.optional(),
  KAFKA_CLIENT_ID: z.string().optional(),
  KAFKA_SSL: z.stringbool().default(false),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  PROMETHEUS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Whole graceful-shutdown budget: drain gRPC, run hooks, close Nest. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** Wait after marking NOT_SERVING before refusing new calls (lets load balancers notice). */
  SHUTDOWN_DRAIN_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  AUTH_ISSUER: z.string().optional(),
  AUTH_AUDIENCE: z.string().optional(),
  /** Shared service-token key ring (service identity between the gateway and the platforms). */
  SERVICE_IDENTITY_KEY_FILE: z.string().min(1).default('.trellis/secrets/service-token-keys.json'),
});

export type BaseConfig = z.output<typeof baseConfigSchema>;

/**
 * The database keys of a service that owns a PostgreSQL schema, required where the base schema has
 * them optional: `baseConfigSchema.extend({ ...serviceDatabaseConfig('audit'), MY_FLAG: … })`.
 */
export function serviceDatabaseConfig(defaultSchema: string, defaultPoolSize = 10) {
  return {
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
    DATABASE_SCHEMA: pgSchemaName.default(defaultSchema),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(defaultPoolSize),
  };
}

/** KAFKA_BROKERS required, for a service that does not run without Kafka. */
export const requiredKafkaConfig = { KAFKA_BROKERS: csv };

/** The gateway's base URL: default token issuer, and its /.well-known/jwks.json (deploy/local/ports.env). */
export const gatewayUrlConfig = { GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional() };

export type BaseConfigSchema = z.ZodObject<{
  [K in keyof typeof baseConfigSchema.shape]: (typeof baseConfigSchema.shape)[K];
}>;

/** Cross-field rules of the base schema (also applied to extended schemas by loadConfig). */
function crossFieldIssues(cfg: Partial<BaseConfig>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (cfg.KAFKA_SASL_MECHANISM) {
    if (!cfg.KAFKA_SASL_USERNAME)
      issues.push({
        key: 'KAFKA_SASL_USERNAME',
        message: 'required when KAFKA_SASL_MECHANISM is set',
      });
    if (!cfg.KAFKA_SASL_PASSWORD)
      issues.push({
        key: 'KAFKA_SASL_PASSWORD',
        message: 'required when KAFKA_SASL_MECHANISM is set',
      });
  }
  if (cfg.GRPC_PORT !== undefined && cfg.GRPC_PORT !== 0 && cfg.GRPC_PORT === cfg.HTTP_PORT) {
    issues.push({ key: 'HTTP_PORT', message: 'must differ from GRPC_PORT' });
  }
  return issues;
}

export interface ConfigIssue {
  key: string;
  message: string;
}

export class ConfigValidationError extends Error {
  constructor(
    readonly service: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `Invalid configuration for ${service} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  - ${i.key}: ${i.message}`).join('\n'),
    );
    this.name = 'ConfigValidationError';
  }
}

/** Keys whose values must never be printed. */
const SECRET_KEY = /PASSWORD|SECRET|TOKEN|KEY$|_URL$/;

/**
 * Validates `env` (default process.env) against the schema. Empty strings count as unset.
 * Throws ConfigValidationError listing every problem (never the offending secret values).
 */
export function loadConfig<S extends z.ZodType<BaseConfig>>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
  defaults: Record<string, string> = {},
): z.output<S> {
  const input: Record<string, string> = { ...defaults };
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') input[k] = v;
  const result = schema.safeParse(input);
  const issues: ConfigIssue[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.length > 0 ? String(issue.path[0]) : '(root)';
      const where =
        issue.path.length > 1 ? `item ${issue.path.slice(1).map(String).join('.')}: ` : '';
      const received =
        SECRET_KEY.test(key) || !(key in input)
          ? ''
          : ` (got "${String(input[key]).slice(0, 40)}")`;
      const message = !(key in input) && issue.code === 'invalid_type' ? 'required' : issue.message;
      issues.push({ key, message: where + message + received });
    }
  }
  // cross-field rules on whatever parsed (so they are reported together with type errors)
  const partial = result.success ? result.data : (input as unknown as Partial<BaseConfig>);
  issues.push(...crossFieldIssues(partial));
  if (issues.length > 0)
    throw new ConfigValidationError(input['SERVICE_NAME'] ?? 'service', dedupe(issues));
  return result.data as z.output<S>;
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.key}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** kafkajs-shaped connection settings derived from the config (undefined when KAFKA_BROKERS is unset). */
export function kafkaConnection(cfg: BaseConfig):
  | {
      clientId: string;
      brokers: string[];
      ssl: boolean;
      sasl?: {
        mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
        username: string;
        password: string;
      };
    }
  | undefined {
  if (!cfg.KAFKA_BROKERS) return undefined;
  return {
    clientId: cfg.KAFKA_CLIENT_ID ?? cfg.SERVICE_NAME,
    brokers: cfg.KAFKA_BROKERS,
    ssl: cfg.KAFKA_SSL,
    ...(cfg.KAFKA_SASL_MECHANISM && cfg.KAFKA_SASL_USERNAME && cfg.KAFKA_SASL_PASSWORD
      ? {
          sasl: {
            mechanism: cfg.KAFKA_SASL_MECHANISM,
            username: cfg.KAFKA_SASL_USERNAME,
            password: cfg.KAFKA_SASL_PASSWORD,
          },
        }
      : {}),
  };
}
