import { z } from 'zod';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/** Kafka connection settings (part of each service's typed config). */
export const kafkaConfigSchema = z
  .object({
    clientId: z.string().min(1),
    brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'broker must be host:port')).min(1),
    ssl: z.boolean().default(false),
    sasl: z
      .object({
        mechanism: z.enum(SASL_MECHANISMS),
        username: z.string().min(1),
        password: z.string().min(1),
      })
      .optional(),
    connectionTimeoutMs: z.number().int().positive().default(3000),
    requestTimeoutMs: z.number().int().positive().default(30000),
  })
  .strict();

export type KafkaConfig = z.input<typeof kafkaConfigSchema>;
export type ResolvedKafkaConfig = z.output<typeof kafkaConfigSchema>;

/**
 * Build the config from KAFKA_* variables (tools, tests; services read env in their own typed
 * config and pass the result). Reports every problem at once.
 */
export function kafkaConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  clientId: string,
): ResolvedKafkaConfig {
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  const raw = {
    clientId,
    brokers: (env.KAFKA_BROKERS ?? '')
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b !== ''),
    ssl: env.KAFKA_SSL === 'true',
    ...(mechanism
      ? {
          sasl: {
            mechanism,
            username: env.KAFKA_SASL_USERNAME ?? '',
            password: env.KAFKA_SASL_PASSWORD ?? '',
          },
        }
      : {}),
  };
  const parsed = kafkaConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid Kafka configuration:\n  ${issues.join('\n  ')}`);
  }
  return parsed.data;
}
